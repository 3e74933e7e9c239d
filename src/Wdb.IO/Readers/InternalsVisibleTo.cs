using System.Runtime.CompilerServices;

// The reader tests check the number parser and the date parser directly.
[assembly: InternalsVisibleTo("Wdb.Tests")]
