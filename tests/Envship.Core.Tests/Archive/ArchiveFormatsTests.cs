using Envship.Core.Archive;

namespace Envship.Core.Tests.Archive;

public sealed class ArchiveFormatsTests
{
    [Fact]
    public void Detects_by_magic_bytes_not_by_name()
    {
        Assert.Equal(ArchiveFormat.TarZst, ArchiveFormats.Detect([0x28, 0xB5, 0x2F, 0xFD, 0]));
        Assert.Equal(ArchiveFormat.TarGz, ArchiveFormats.Detect([0x1F, 0x8B, 8]));
        var tar = new byte[512];
        "ustar"u8.CopyTo(tar.AsSpan(257));
        Assert.Equal(ArchiveFormat.Tar, ArchiveFormats.Detect(tar));
        Assert.Null(ArchiveFormats.Detect("PK\u0003\u0004"u8));
        Assert.Null(ArchiveFormats.Detect([]));
    }

    [Theory]
    [InlineData("tar.zst", ArchiveFormat.TarZst)]
    [InlineData("tar.gz", ArchiveFormat.TarGz)]
    [InlineData("tar", ArchiveFormat.Tar)]
    [InlineData("dir", ArchiveFormat.Directory)]
    public void Parses_format_names(string name, ArchiveFormat format) => Assert.Equal(format, ArchiveFormats.Parse(name));

    [Fact]
    public void Unknown_format_is_a_usage_error()
    {
        var error = Assert.Throws<EnvshipException>(() => ArchiveFormats.Parse("rar"));
        Assert.Equal(ExitCode.Usage, error.Code);
    }
}
