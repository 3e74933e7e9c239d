using System.Runtime.CompilerServices;

// The engine tests cut uploads into small chunks, so a few hundred rows cross many chunk edges.
[assembly: InternalsVisibleTo("Wdb.Tests")]
