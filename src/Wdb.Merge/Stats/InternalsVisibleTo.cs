using System.Runtime.CompilerServices;

// Tests compare the zone-indexed footprint lookup with its brute-force reference.
[assembly: InternalsVisibleTo("Wdb.Tests")]
