using Wdb.IO;
using Wdb.IO.Readers;

namespace Wdb.Tests.Readers;

public class ProfileTests
{
    [Fact]
    public void Wdb_profile_is_exactly_the_generator_layout()
    {
        Assert.Equal(
            "cntr|scan_key|ra|dec|err_maj|err_min|err_ang|jdate|j_m|j_msigcom|j_snr|h_m|h_msigcom|h_snr|k_m|k_msigcom|k_snr|ph_qual|rd_flg|bl_flg|cc_flg|ndet|truth",
            string.Join("|", SchemaProfiles.Columns("wdb")!));
        Assert.Equal(["cal-pswdb", "survey-pswdb", "psc", "xsc-wdb", "wdb"], SchemaProfiles.Names);
        Assert.Null(SchemaProfiles.Columns("nope"));
        Assert.NotNull(SchemaProfiles.Columns("PSC"));
    }

    [Fact]
    public void Column_counts_are_distinct_so_detection_by_count_is_unambiguous()
    {
        var counts = SchemaProfiles.Profiles.Select(p => p.ColumnCount).ToArray();
        Assert.Equal(counts.Length, counts.Distinct().Count());
        Assert.Equal(60, SchemaProfiles.Find("psc")!.ColumnCount);   // All-Sky PSC bulk files have 60 columns
        Assert.Equal(23, SchemaProfiles.Find("wdb")!.ColumnCount);
    }

    [Fact]
    public void Every_profile_has_the_required_columns_and_no_duplicates()
    {
        foreach (var p in SchemaProfiles.Profiles)
        {
            Assert.Equal(p.Columns.Count, p.Columns.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.True(ColumnMap.Build(p.Columns, out string? error) is not null, $"{p.Name}: {error}");
        }
        // The survey WDB has no scan_key: its scan id must come from (hemis, date, scan).
        Assert.True(ColumnMap.Build(SchemaProfiles.Columns("survey-pswdb")!, out _)!.SurveyScanId);
    }
}
