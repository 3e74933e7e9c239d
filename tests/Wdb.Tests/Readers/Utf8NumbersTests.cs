using System.Globalization;
using System.Text;
using CsCheck;
using Wdb.IO.Readers;

namespace Wdb.Tests.Readers;

/// <summary>The byte parser must give exactly what .NET's parser gives, for every input.</summary>
public class Utf8NumbersTests
{
    private static readonly byte[][] Tails = ["12345678901234567890"u8.ToArray(), ",99.5,xx,yy,zz,ww"u8.ToArray(), "   .5e3     "u8.ToArray(), ""u8.ToArray()];

    private static void SameAsDotNet(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        bool okD = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d);
        Assert.Equal(okD, Utf8Numbers.TryParseDouble(bytes, out double d2));
        if (okD) Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(d2), $"'{s}': {d:R} vs {d2:R}");

        // The same field inside a longer buffer, followed by bytes the parser may read but must ignore.
        foreach (var tail in Tails)
        {
            var padded = new byte[3 + bytes.Length + tail.Length];
            "ab,"u8.CopyTo(padded);
            bytes.CopyTo(padded, 3);
            tail.CopyTo(padded, 3 + bytes.Length);
            Assert.Equal(okD, Utf8Numbers.TryParseDouble(padded, 3, bytes.Length, out double d3));
            if (okD) Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(d3), $"'{s}' padded: {d:R} vs {d3:R}");
            bool okF2 = float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float g);
            Assert.Equal(okF2, Utf8Numbers.TryParseSingle(padded, 3, bytes.Length, out float g3));
            if (okF2) Assert.True(BitConverter.SingleToInt32Bits(g) == BitConverter.SingleToInt32Bits(g3), $"'{s}' padded: {g:R} vs {g3:R}");
        }

        bool okF = float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float f);
        Assert.Equal(okF, Utf8Numbers.TryParseSingle(bytes, out float f2));
        if (okF) Assert.True(BitConverter.SingleToInt32Bits(f) == BitConverter.SingleToInt32Bits(f2), $"'{s}': {f:R} vs {f2:R}");
    }

    [Theory]
    [InlineData("0")] [InlineData("-0")] [InlineData("+0.000")] [InlineData("1.")] [InlineData(".5")] [InlineData("-.5e-3")]
    [InlineData("12.345")] [InlineData("359.999999")] [InlineData("-89.999999")] [InlineData("2451234.5678")]
    [InlineData("9007199254740993")] [InlineData("0.1")] [InlineData("1e22")] [InlineData("1e23")] [InlineData("123456789012345678901")]
    [InlineData("1e400")] [InlineData("-1e-400")] [InlineData("NaN")] [InlineData("-Infinity")] [InlineData("infinity")]
    [InlineData("")] [InlineData("-")] [InlineData(".")] [InlineData("e5")] [InlineData("1e")] [InlineData("1e+")] [InlineData("1.2.3")]
    [InlineData("1234567.1234567")] [InlineData("12345678.5")] [InlineData("1.12345678")] [InlineData("-0.0")] [InlineData("5.")]
    [InlineData("0x10")] [InlineData("1,5")] [InlineData("16777217")] [InlineData("3.4028236e38")] [InlineData("1.17549435E-38")]
    public void Hand_picked_strings(string s) => SameAsDotNet(s);

    [Fact]
    public void Shortest_round_trip_text_of_random_doubles_and_floats()
    {
        Gen.Long.Sample(bits =>
        {
            double d = BitConverter.Int64BitsToDouble(bits);
            SameAsDotNet(d.ToString("R", CultureInfo.InvariantCulture));
            SameAsDotNet(((float)d).ToString("R", CultureInfo.InvariantCulture));
            SameAsDotNet(d.ToString("F6", CultureInfo.InvariantCulture));
        }, iter: 3000);
    }

    [Fact]
    public void Random_decimal_text_in_the_fast_path_range_and_beyond()
    {
        var gen = Gen.Select(Gen.Int[1, 24], Gen.Int[0, 24], Gen.Int[-40, 40], Gen.Bool, Gen.Long[0, long.MaxValue]);
        gen.Sample((nDigits, pointAt, exp, neg, seed) =>
        {
            var rnd = new Random((int)(seed % int.MaxValue));
            var sb = new StringBuilder();
            if (neg) sb.Append('-');
            for (int i = 0; i < nDigits; i++)
            {
                if (i == Math.Min(pointAt, nDigits)) sb.Append('.');
                sb.Append((char)('0' + rnd.Next(10)));
            }
            if (exp != 0) sb.Append('e').Append(exp);
            SameAsDotNet(sb.ToString());
        }, iter: 5000);
    }

    [Fact]
    public void The_16_byte_fixed_point_path_reads_what_the_text_says_and_takes_all_the_swar_path_takes()
    {
        // Fields of every shape around the fixed-point range, some with a stray character, read
        // from inside a buffer; a field is m / 10^e exactly whenever a path takes it.
        var gen = Gen.Select(Gen.Int[0, 10], Gen.Int[-1, 10], Gen.Bool, Gen.Int[-1, 20], Gen.Long[0, long.MaxValue]);
        int taken = 0;
        gen.Sample((whole, fraction, neg, stray, seed) =>
        {
            var rnd = new Random((int)(seed % int.MaxValue));
            var sb = new StringBuilder(neg ? "-" : "");
            for (int i = 0; i < whole; i++) sb.Append((char)('0' + rnd.Next(10)));
            if (fraction >= 0) sb.Append('.');
            for (int i = 0; i < fraction; i++) sb.Append((char)('0' + rnd.Next(10)));
            if (stray >= 0 && stray < sb.Length) sb[stray] = "x.-+e /:"[rnd.Next(8)];
            string field = sb.ToString();
            var bytes = Encoding.ASCII.GetBytes("ab," + field + ",12345678901234567890");
            bool simd = Utf8Numbers.TryFixedPoint16(bytes, 3, field.Length, out ulong m16, out int e16, out bool n16);
            bool swar = Utf8Numbers.TryFixedPointSwar(bytes, 3, field.Length, out ulong m8, out int e8, out bool n8);
            if (swar)
            {
                Assert.True(simd, $"'{field}': taken by the SWAR path only");
                Assert.Equal((m8, e8, n8), (m16, e16, n16));
            }
            if (!simd) return;
            taken++;
            decimal exact = decimal.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);
            decimal read = (decimal)m16 / (decimal)Math.Pow(10, e16);
            Assert.True((n16 ? -read : read) == exact && n16 == field.StartsWith('-'), $"'{field}': read as {(n16 ? "-" : "")}{m16} / 10^{e16}");
            Assert.True(e16 <= 8 && m16 < 10_000_000_000_000_000UL, $"'{field}': m {m16}, e {e16} outside what the callers' tables hold");
        }, iter: 20000);
        Assert.True(taken > 5000, $"only {taken} fields taken");
    }

    [Fact]
    public void Random_junk_is_accepted_or_refused_exactly_as_dotnet_does()
    {
        var chars = Gen.Char["0123456789.eE+-xN a"];
        chars.Array[0, 10].Select(a => new string(a)).Sample(SameAsDotNet, iter: 5000);
    }

    [Theory]
    [InlineData("0")] [InlineData("-17")] [InlineData("+42")] [InlineData("123456789012345678")] [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")] [InlineData("9223372036854775808")] [InlineData("1.0")] [InlineData("")] [InlineData("-")] [InlineData("1e3")]
    public void Integers_match_long_TryParse(string s)
    {
        bool ok = long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v);
        Assert.Equal(ok, Utf8Numbers.TryParseInt64(Encoding.ASCII.GetBytes(s), out long v2));
        if (ok) Assert.Equal(v, v2);
    }

    [Theory]
    [InlineData("981002", 981002)] [InlineData("1998-10-02", 981002)] [InlineData("2001-02-28", 10228)] [InlineData("000131", 131)]
    [InlineData("981302", -1)] [InlineData("98100", -1)] [InlineData("1998/10/02", -1)] [InlineData("1998-10-32", -1)] [InlineData("19981002", -1)]
    [InlineData("2000-02-29", 229)] [InlineData("000229", 229)] [InlineData("2000-02-30", -1)] [InlineData("010229", -1)] [InlineData("1999-04-31", -1)]
    [InlineData("990431", -1)] [InlineData("0000-01-01", -1)]
    [InlineData("315", 315)] [InlineData("1231", 1231)] [InlineData("10215", 10215)] [InlineData("12", -1)] [InlineData("10229", -1)]
    public void Dates_are_yymmdd_or_iso(string s, int expected)
    {
        bool ok = RowDecoder.TryParseDate(Encoding.ASCII.GetBytes(s), out int v);
        Assert.Equal(expected >= 0, ok);
        if (ok) Assert.Equal(expected, v);
    }
}
