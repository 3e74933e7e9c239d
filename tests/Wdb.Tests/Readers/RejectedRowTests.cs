using System.Text;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class RejectedRowLeavesNothingBehindTests
{
    [Fact]
    public void ARowAfterARejectedOneKeepsItsNulls()
    {
        // dec is the last column: the rejected rows had every other value stored before
        // failing. Each following row leaves every optional column null.
        var sb = new StringBuilder("cntr,scan_key,ra,err_maj,jdate,j_m,j_msigcom,ph_qual,ndet,dec\n");
        for (int i = 0; i < 3000; i++)
        {
            sb.Append(i).Append(",5,10.0,0.3,2451000.5,12.5,0.1,AAA,123456,95.0\n");   // dec out of range: rejected
            sb.Append(i + 100_000).Append(",6,11.0,,,,,,,-1.0\n");
        }
        using var t = new TempDir();
        string path = t.Write("rejects-then-nulls.csv", sb.ToString());
        var (result, b) = Read(path);
        Assert.Equal(3000, result.Rejects.Count);
        Assert.Equal(3000, b.Count);
        for (int r = 0; r < b.Count; r++)
        {
            Assert.True(float.IsNaN(b.ErrMaj[r]) && double.IsNaN(b.JDate[r]) && float.IsNaN(b.Bands[0].Mag[r]), $"row {r}");
            Assert.Equal((-1, (byte)0), (b.Ndet[r], b.Bands[0].PhQual[r]));
        }
    }
}
