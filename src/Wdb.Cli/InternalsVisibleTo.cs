using System.Runtime.CompilerServices;

// The tests parse the docs' command lines with the program's own command tree (WdbCommandLine).
[assembly: InternalsVisibleTo("Wdb.Tests")]
