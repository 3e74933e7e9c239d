namespace Wdb.Core;

/// <summary>
/// One 64-bit scan identity for every table. Tables with `scan_key` use it as is; the
/// survey WDB's (hemis, date, scan) triple is packed so that distinct triples never
/// collide with each other. A packed id may equal some `scan_key` value: a run whose inputs
/// use both conventions warns of it (Wdb.Merge.ScanIdKinds), since the two are then one scan.
/// </summary>
public static class ScanKeys
{
    /// <summary>Packs hemis ('n'/'s'), date as yymmdd and scan number (&lt; 10^6).</summary>
    public static long FromSurvey(byte hemis, int yymmdd, int scan)
    {
        int h = hemis is (byte)'s' or (byte)'S' ? 1 : 0;
        return ((long)yymmdd * 2 + h) * 1_000_000L + scan;
    }

    /// <summary>The (hemis 'n'/'s', date as yymmdd, scan) that <see cref="FromSurvey"/> packed into <paramref name="id"/> (&gt;= 0).</summary>
    public static (char Hemis, int Yymmdd, int Scan) ToSurvey(long id)
    {
        long dateAndHemis = id / 1_000_000L;
        return (dateAndHemis % 2 == 1 ? 's' : 'n', (int)(dateAndHemis / 2), (int)(id % 1_000_000L));
    }
}
