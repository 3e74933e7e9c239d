using Wdb.Core;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

/// <summary>
/// The device's sine and cosine against the host's (glibc through <see cref="Math.SinCos"/>):
/// the link kernels allow <see cref="LinkGrid.DevicePointTolerance"/> between a device vector
/// and <see cref="Sky.UnitVector"/>'s, so the measured error must sit far below it.
/// </summary>
public class DeviceTrigTests
{
    [Fact]
    public void Sine_and_cosine_are_within_two_ulp_of_one_over_the_domain()
    {
        var rng = new Random(5);
        double worst = 0;
        for (int i = 0; i < 2_000_000; i++)
        {
            double deg = (i % 4) switch
            {
                0 => rng.NextDouble() * 360,
                1 => (rng.NextDouble() * 2 - 1) * DeviceTrig.DomainDeg,
                2 => 90.0 * rng.Next(-1000, 1000) + (rng.NextDouble() - 0.5) * 1e-9, // next to quadrant edges
                _ => 45.0 * (2 * rng.Next(-1000, 1000) + 1) + (rng.NextDouble() - 0.5) * 1e-9, // next to the switch between series
            };
            double angle = deg * Sky.DegToRad;
            DeviceTrig.SinCos(angle, out double sin, out double cos);
            var (hostSin, hostCos) = Math.SinCos(angle);
            worst = Math.Max(worst, Math.Max(Math.Abs(sin - hostSin), Math.Abs(cos - hostCos)));
        }
        Assert.InRange(worst, 0, 2.3e-16); // 2 ulp of 1; the grid allows 1e-13
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 90.0)]
    [InlineData(0.0, -90.0)]
    [InlineData(359.99999999, 45.0)]
    [InlineData(180.0, -30.0)]
    [InlineData(-720.0, 12.5)]
    public void Unit_vectors_at_the_special_places_are_within_a_ulp_or_two(double ra, double dec)
    {
        DeviceTrig.UnitVector(ra, dec, out double x, out double y, out double z);
        var (hx, hy, hz) = Sky.UnitVector(ra, dec);
        double off = Math.Sqrt((x - hx) * (x - hx) + (y - hy) * (y - hy) + (z - hz) * (z - hz));
        Assert.InRange(off, 0, 4e-16);
    }

    [Fact]
    public void Unit_vectors_over_the_sky_stay_far_inside_the_tolerance()
    {
        var rng = new Random(6);
        double worst = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            double ra = rng.NextDouble() * 360, dec = Math.Asin(2 * rng.NextDouble() - 1) / Sky.DegToRad;
            DeviceTrig.UnitVector(ra, dec, out double x, out double y, out double z);
            var (hx, hy, hz) = Sky.UnitVector(ra, dec);
            worst = Math.Max(worst, Math.Sqrt((x - hx) * (x - hx) + (y - hy) * (y - hy) + (z - hz) * (z - hz)));
        }
        Assert.InRange(worst, 0, LinkGrid.DevicePointTolerance / 100);
    }
}
