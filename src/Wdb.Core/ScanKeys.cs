namespace Wdb.Core;

/// <summary>
/// One 64-bit scan identity for every table. Tables with `scan_key` use it as is; the
/// survey WDB's (hemis, date, scan) triple is packed so that distinct triples never
/// collide with each other (they may coincide with some `scan_key` value, but one run's
/// inputs use one convention per file profile).
/// </summary>
public static class ScanKeys
{
    /// <summary>Packs hemis ('n'/'s'), date as yymmdd and scan number (&lt; 10^6).</summary>
    public static long FromSurvey(byte hemis, int yymmdd, int scan)
    {
        int h = hemis is (byte)'s' or (byte)'S' ? 1 : 0;
        return ((long)yymmdd * 2 + h) * 1_000_000L + scan;
    }
}
