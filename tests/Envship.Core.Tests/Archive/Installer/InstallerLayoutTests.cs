using System.Text;
using Envship.Core.Archive.Installer;
using Envship.Testing;

namespace Envship.Core.Tests.Archive.Installer;

/// <summary>The installer's header: fixed-width layout lines that envship reads back, and a script every POSIX sh parses.</summary>
public sealed class InstallerLayoutTests
{
    private static readonly string BinarySha = new('a', 64);
    private static readonly string ArchiveSha = new('b', 64);

    [Fact]
    public void The_header_has_one_length_for_any_layout_and_reads_back_exactly()
    {
        var small = InstallerHeader.Layout(InstallerTarget.LinuxX64, 1, BinarySha, 1, ArchiveSha, 0);
        var large = InstallerHeader.Layout(InstallerTarget.LinuxAarch64, 123_456_789_012, BinarySha, 987_654_321_098, ArchiveSha, 321);

        var smallHeader = InstallerHeader.Render(small);
        var largeHeader = InstallerHeader.Render(large);

        Assert.Equal(InstallerHeader.Size, smallHeader.Length);
        Assert.Equal(InstallerHeader.Size, largeHeader.Length);
        Assert.Equal(large, InstallerLayout.Parse(largeHeader, large.Signature.End, "x.run"));
        Assert.Equal(small, InstallerLayout.Parse(smallHeader, small.Signature.End, "x.run"));
        Assert.True(InstallerLayout.IsInstaller(smallHeader));
        Assert.Contains("envship_binary_offset=" + InstallerHeader.Size + " ", Encoding.ASCII.GetString(smallHeader), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_or_extended_file_is_damaged_and_says_by_how_much()
    {
        var layout = InstallerHeader.Layout(InstallerTarget.LinuxX64, 1000, BinarySha, 2000, ArchiveSha, 0);
        var header = InstallerHeader.Render(layout);

        var cut = Assert.Throws<EnvshipException>(() => InstallerLayout.Parse(header, layout.Signature.End - 1, "cut.run"));

        Assert.Equal(ExitCode.DamagedArchive, cut.Code);
        Assert.Contains("cut.run", cut.Message, StringComparison.Ordinal);
        Assert.Contains($"{layout.Signature.End - 1} bytes long but its layout says {layout.Signature.End}", cut.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.DamagedArchive, Assert.Throws<EnvshipException>(() => InstallerLayout.Parse(header, layout.Signature.End + 1, "long.run")).Code);
    }

    [Theory]
    [InlineData("envship_archive_size=2000 ", "envship_archive_size=02000", "not a plain decimal number")]
    [InlineData("envship_archive_size=2000 ", "envship_archive_size=-2000", "not a plain decimal number")]
    [InlineData("envship_binary_offset=", "envship_binary_offsex=", "lacks envship_binary_offset")]
    [InlineData("envship_target=linux-x86_64", "envship_target=linux-mips64", "linux-mips64")]
    [InlineData("envship_archive_sha256=bbbb", "envship_archive_sha256=BBBB", "not a SHA-256 in lowercase hex")]
    [InlineData("# end of layout", "# end of layouts", "do not end with")]
    public void A_changed_layout_line_is_refused_with_what_is_wrong(string original, string changed, string expected)
    {
        var layout = InstallerHeader.Layout(InstallerTarget.LinuxX64, 1000, BinarySha, 2000, ArchiveSha, 0);
        var header = Encoding.ASCII.GetString(InstallerHeader.Render(layout));
        Assert.Contains(original, header, StringComparison.Ordinal);
        var edited = Encoding.ASCII.GetBytes(header.Replace(original, changed, StringComparison.Ordinal));

        var refused = Assert.Throws<EnvshipException>(() => InstallerLayout.Parse(edited, layout.Signature.End, "edited.run"));

        Assert.Equal(ExitCode.DamagedArchive, refused.Code);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offsets_that_do_not_tile_the_file_are_refused()
    {
        var layout = InstallerHeader.Layout(InstallerTarget.LinuxX64, 1000, BinarySha, 2000, ArchiveSha, 0);
        var gap = layout with { Archive = layout.Archive with { Offset = layout.Archive.Offset + 1 } };
        var header = InstallerHeader.Render(gap);

        var refused = Assert.Throws<EnvshipException>(() => InstallerLayout.Parse(header, layout.Signature.End, "gap.run"));

        Assert.Equal(ExitCode.DamagedArchive, refused.Code);
        Assert.Contains("back to back", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_does_not_start_with_the_magic_is_no_installer()
    {
        using var stream = new MemoryStream("#!/bin/sh\necho hello\n"u8.ToArray());

        Assert.Null(InstallerLayout.TryRead(stream, "script.sh"));
        Assert.Equal(0, stream.Position);
    }

    /// <summary>Debian's /bin/sh is dash; busybox sh is what small boards have. Both must parse the header, and bash in POSIX mode too.</summary>
    [Theory]
    [InlineData("dash", "-n")]
    [InlineData("busybox", "sh -n")]
    [InlineData("bash", "--posix -n")]
    public void Every_sh_parses_the_rendered_header(string shell, string options)
    {
        var flags = options.Split(' ');
        using var work = new TempDirectory("envship-header-");
        var layout = InstallerHeader.Layout(InstallerTarget.LinuxX64, 1000, BinarySha, 2000, ArchiveSha, 0);
        var script = work.Combine("header.sh");
        File.WriteAllBytes(script, InstallerHeader.Render(layout));

        var result = ProcessRunner.Run(shell, [.. flags, script]);

        Assert.True(result.ExitCode == 0, $"{shell} {string.Join(' ', flags)} refused the header ({result.ExitCode}):\n{result.StdErr}");
    }

    [Fact]
    public void The_layout_lines_are_plain_sh_assignments_of_the_same_values()
    {
        using var work = new TempDirectory("envship-header-");
        var layout = InstallerHeader.Layout(InstallerTarget.LinuxAarch64, 4321, BinarySha, 8765, ArchiveSha, 17);
        var header = Encoding.ASCII.GetString(InstallerHeader.Render(layout));
        var assignments = string.Join('\n', header.Split('\n').TakeWhile(l => l != "# end of layout"));
        var script = work.WriteFile("layout.sh", assignments + "\necho \"$envship_target $envship_binary_offset $((envship_archive_offset + envship_archive_size)) $envship_signature_size\"\n");

        var result = ProcessRunner.Run("dash", [script]);

        Assert.Equal($"linux-aarch64 {layout.Binary.Offset} {layout.Archive.End} 17\n", result.StdOut);
    }
}
