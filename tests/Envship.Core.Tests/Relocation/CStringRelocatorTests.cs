using System.Text;
using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

public sealed class CStringRelocatorTests
{
    private const string From = "/opt/env";

    [Theory]
    [InlineData("abc\0", 0, 4)]
    [InlineData("abc\0\0\0X", 0, 4)]
    [InlineData("abc\0\0\0X", 1, 5)]
    [InlineData("abc\0\0\0X", 2, 6)]
    [InlineData("abc\0\0\0X", 10, 6)]
    [InlineData("abc\0\0\0", 5, 6)]
    [InlineData("\0\0", 1, 2)]
    [InlineData("\0", 3, 1)]
    [InlineData("abc", 3, -1)]
    [InlineData("", 0, -1)]
    public void MeasureRegion_counts_string_terminator_and_usable_padding(string data, int extraPadding, int expected)
    {
        Assert.Equal(expected, CStringRelocator.MeasureRegion(Encoding.UTF8.GetBytes(data), extraPadding));
    }

    [Theory]
    // shorter: the freed bytes become NULs
    [InlineData("/opt/env/lib\0", "/x", true, 1, 6, 8, "/x/lib\0\0\0\0\0\0\0")]
    // equal length
    [InlineData("/opt/env/lib\0", "/srv/app", true, 1, 12, 8, "/srv/app/lib\0")]
    // longer, absorbed by padding
    [InlineData("/opt/env/lib\0\0\0\0", "/srv/app12", true, 1, 14, 11, "/srv/app12/lib\0\0")]
    [InlineData("/opt/env/lib\0\0\0\0", "/srv/app123", true, 1, 15, 11, "/srv/app123/lib\0")]
    [InlineData("/opt/env/lib\0\0\0\0", "/srv/app1234", false, 1, 16, 11, null)]
    // longer without padding
    [InlineData("/opt/env/lib\0", "/srv/app12", false, 1, 14, 8, null)]
    [InlineData("/opt/env\0", "/opt/env2", false, 1, 9, 8, null)]
    // several occurrences share the padding
    [InlineData("/opt/env/lib:/opt/env/lib64\0\0\0\0\0", "/srv/app99", true, 2, 31, 10, "/srv/app99/lib:/srv/app99/lib64\0")]
    [InlineData("/opt/env/lib:/opt/env/lib64\0\0\0\0\0", "/srv/app999", false, 2, 33, 10, null)]
    [InlineData("/opt/env/lib:/opt/env/lib64\0", "/o", true, 2, 15, 8, "/o/lib:/o/lib64\0\0\0\0\0\0\0\0\0\0\0\0\0")]
    // text after the hit is kept; text before the hit is never part of the region
    [InlineData("/opt/env/share/locale\0\0", "/é", true, 1, 16, 9, "/é/share/locale\0\0\0\0\0\0\0")]
    // nothing to replace
    [InlineData("hello\0\0", "/srv/app", true, 0, 5, int.MaxValue, "hello\0\0")]
    public void Relocate_replaces_in_place_and_preserves_length(
        string region, string to, bool fits, int occurrences, int newLength, int maxDestinationLength, string? expected)
    {
        var regionBytes = Encoding.UTF8.GetBytes(region);
        var destination = new byte[regionBytes.Length];
        Array.Fill(destination, (byte)0xAA);

        var result = CStringRelocator.Relocate(regionBytes, Encoding.UTF8.GetBytes(From), Encoding.UTF8.GetBytes(to), destination);

        Assert.Equal(new CStringResult(fits, occurrences, newLength, maxDestinationLength), result);
        Assert.Equal(regionBytes.Length, destination.Length);
        if (expected is null)
        {
            Assert.All(destination, b => Assert.Equal(0xAA, b));
        }
        else
        {
            Assert.Equal(Encoding.UTF8.GetBytes(expected), destination);
        }
    }

    [Theory]
    [InlineData("/srv/a")]
    [InlineData("/srv/app")]
    [InlineData("/srv/app-longer")]
    [InlineData("/srv/app-far-too-long-to-fit")]
    public void Relocate_in_place_inside_a_larger_buffer_touches_only_the_region(string to)
    {
        var file = Encoding.UTF8.GetBytes("\x7f" + "ELF..libfoo.so\0/opt/env/lib:/opt/env/lib/R\0\0\0\0\0\0\0\0\0LIBC\0");
        var original = (byte[])file.Clone();
        var hit = file.AsSpan().IndexOf(Encoding.UTF8.GetBytes(From));
        var length = CStringRelocator.MeasureRegion(file.AsSpan(hit), extraPadding: 16);
        var region = file.AsSpan(hit, length);

        var result = CStringRelocator.Relocate(region, Encoding.UTF8.GetBytes(From), Encoding.UTF8.GetBytes(to), region);

        Assert.Equal(original.Length, file.Length);
        Assert.Equal(original.AsSpan(0, hit).ToArray(), file.AsSpan(0, hit).ToArray());
        Assert.Equal(original.AsSpan(hit + length).ToArray(), file.AsSpan(hit + length).ToArray());
        var expected = result.Fits ? $"{to}/lib:{to}/lib/R" : "/opt/env/lib:/opt/env/lib/R";
        Assert.Equal(result.Fits, to.Length <= result.MaxDestinationLength);
        Assert.Equal(expected, Encoding.UTF8.GetString(region[..region.IndexOf((byte)0)]));
        Assert.All(region[region.IndexOf((byte)0)..].ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Relocate_rebuilds_long_overlapping_regions_without_corruption()
    {
        var text = string.Join(':', Enumerable.Repeat("/opt/env/lib", 200));
        var buffer = Encoding.UTF8.GetBytes(text + new string('\0', 1000));

        var result = CStringRelocator.Relocate(buffer, Encoding.UTF8.GetBytes(From), "/srv/app-x"u8, buffer);

        Assert.True(result.Fits);
        Assert.Equal(string.Join(':', Enumerable.Repeat("/srv/app-x/lib", 200)), Encoding.UTF8.GetString(buffer).TrimEnd('\0'));
    }

    [Fact]
    public void Relocate_rejects_invalid_arguments()
    {
        var region = "/opt/env\0"u8.ToArray();

        Assert.Throws<ArgumentException>(() => CStringRelocator.Relocate(region, [], "/x"u8, new byte[region.Length]));
        Assert.Throws<ArgumentException>(() => CStringRelocator.Relocate(region, "/opt"u8, "/x"u8, new byte[region.Length + 1]));
        Assert.Throws<ArgumentException>(() => CStringRelocator.Relocate("/opt/env"u8, "/opt"u8, "/x"u8, new byte[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CStringRelocator.MeasureRegion(region, -1));
    }
}
