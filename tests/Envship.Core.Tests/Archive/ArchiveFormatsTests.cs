using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

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

    [Theory]
    [InlineData("env.tar.zst", null, ArchiveFormat.TarZst)]
    [InlineData("env.TZST", null, ArchiveFormat.TarZst)]
    [InlineData("env.tar.gz", null, ArchiveFormat.TarGz)]
    [InlineData("env.tgz", "infer", ArchiveFormat.TarGz)]
    [InlineData("env.tar", null, ArchiveFormat.Tar)]
    [InlineData(null, null, ArchiveFormat.TarZst)]
    [InlineData(null, "tar.gz", ArchiveFormat.TarGz)]
    [InlineData("env-tree", "dir", ArchiveFormat.Directory)]
    [InlineData("env-tree", "no-archive", ArchiveFormat.Directory)]
    [InlineData("env.bin", "tar.zst", ArchiveFormat.TarZst)]
    public void The_output_name_chooses_the_format_unless_format_says(string? output, string? format, ArchiveFormat expected) =>
        Assert.Equal(expected, ArchiveFormats.Choose(output, format));

    [Theory]
    [InlineData("env.zip", null, "cannot write zip archives")]
    [InlineData("env.tbz2", null, "cannot write tar.bz2 archives")]
    [InlineData("env.txz", "tar.zst", "cannot write tar.xz archives")]
    [InlineData("env.squashfs", null, "cannot write squashfs archives")]
    [InlineData("env", null, "cannot tell the archive format from the name")]
    [InlineData("env.tar.gz", "tar.zst", "contradicts the output name")]
    [InlineData("env.tar", "dir", "contradicts the output name")]
    [InlineData(null, "zip", "cannot write zip archives")]
    public void A_name_or_format_envship_cannot_honour_is_a_usage_error(string? output, string? format, string message)
    {
        var error = Assert.Throws<EnvshipException>(() => ArchiveFormats.Choose(output, format));
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ArchiveFormat.TarZst, 1, true)]
    [InlineData(ArchiveFormat.TarZst, 19, true)]
    [InlineData(ArchiveFormat.TarZst, 0, false)]
    [InlineData(ArchiveFormat.TarZst, 20, false)]
    [InlineData(ArchiveFormat.TarGz, 9, true)]
    [InlineData(ArchiveFormat.TarGz, 10, false)]
    [InlineData(ArchiveFormat.Tar, 1, false)]
    [InlineData(ArchiveFormat.Directory, 1, false)]
    public void Levels_outside_the_compressors_range_are_usage_errors(ArchiveFormat format, int level, bool accepted)
    {
        var error = Record.Exception(() => ArchiveFormats.CheckLevel(format, level));
        Assert.Equal(accepted, error is null);
        Assert.True(accepted || error is EnvshipException { Code: ExitCode.Usage });
    }

    [Fact]
    public void Unknown_format_is_a_usage_error()
    {
        var error = Assert.Throws<EnvshipException>(() => ArchiveFormats.Parse("rar"));
        Assert.Equal(ExitCode.Usage, error.Code);
    }
}
