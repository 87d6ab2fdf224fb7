using System.Runtime.Versioning;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;
using Envship.Core.Tests.Relocation;
using Envship.Testing;

namespace Envship.Core.Tests.Deploy;

/// <summary>Pack-time analysis, planning and patching of strings whose tail another constant shares, on gcc output.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SharedTailRelocationTests(MergedStringsFixture fixture) : IClassFixture<MergedStringsFixture>, IDisposable
{
    private readonly TempDirectory _work = new("envship-shared-tail-");

    public void Dispose() => _work.Dispose();

    [Fact]
    public void A_run_path_whose_tail_is_a_symbol_name_is_kept_unless_the_rewrite_leaves_the_name_in_place()
    {
        var entry = Analyze("libsymbol.so", "/opt/env");
        var segment = Assert.Single(entry.Relocation!.Segments!);
        Assert.Equal(SegmentKind.ElfRunpath, segment.Kind);
        Assert.Equal("lib", Assert.Single(segment.SharedTails!).Text);

        var shorter = new RelocationTarget("/opt/env", "/o/e");
        var kept = Deploy("libsymbol.so", entry, shorter);
        Assert.Equal("/opt/env/lib", ElfTools.ReadDynamic(kept).RunPath);
        Assert.Contains(" lib", Symbols(kept), StringComparison.Ordinal);
        Assert.Equal("'lib'", Assert.Single(shorter.Kept.MergeInto([])).Tails);

        var sameLength = new RelocationTarget("/opt/env", "/opt/xyz");
        var rewritten = Deploy("libsymbol.so", entry, sameLength);
        Assert.Equal("/opt/xyz/lib", ElfTools.ReadDynamic(rewritten).RunPath);
        Assert.Contains(" lib", Symbols(rewritten), StringComparison.Ordinal);
        Assert.Empty(sameLength.Kept.MergeInto([]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_manifest_from_an_older_version_is_checked_again_on_the_bytes_at_deploy(bool inMemory)
    {
        var analyzed = Analyze("libboth.so", MergedStringsFixture.Prefix);
        Assert.NotNull(Assert.Single(analyzed.Relocation!.Segments!).SharedTails);
        var old = analyzed with
        {
            Relocation = analyzed.Relocation with { Segments = [.. analyzed.Relocation.Segments!.Select(s => s with { SharedTails = null, Value = null })] },
        };
        var target = new RelocationTarget(MergedStringsFixture.Prefix, "/x");
        var original = fixture.Read("libboth.so");

        byte[] result;
        if (inMemory)
        {
            var data = (byte[])original.Clone();
            result = FileRelocationApplier.Relocate(data, old, target, out _).ToArray();
        }
        else
        {
            result = File.ReadAllBytes(Deploy("libboth.so", old, target));
        }

        Assert.Equal(original, result);
        var kept = Assert.Single(target.Kept.MergeInto([]));
        Assert.Equal(MergedStringsFixture.Prefix, kept.Value);
        Assert.Equal("'3.11.7'", kept.Tails);
    }

    [Fact]
    public void Planner_keeps_what_the_patch_keeps_and_reports_it_apart_from_strings_that_do_not_fit()
    {
        var entry = Analyze("libboth.so", MergedStringsFixture.Prefix);
        var manifest = Manifest(entry);

        var kept = Assert.Single(RelocationPlanner.FindKept(manifest, "/x"));
        Assert.Equal("lib.so", kept.Path);
        Assert.Contains("kept the string '/opt/py/3.11.7' unchanged: its tail '3.11.7' is also used as a separate constant", kept.Describe(), StringComparison.Ordinal);
        Assert.Empty(RelocationPlanner.FindKept(manifest, MergedStringsFixture.Prefix));
        Assert.Empty(RelocationPlanner.FindUnfit(manifest, "/a/much/longer/destination/than/the/source"));
        Assert.Single(RelocationPlanner.FindKept(manifest, "/a/much/longer/destination/than/the/source"));
    }

    [Fact]
    public void A_string_whose_only_shared_tail_is_its_terminator_is_still_rewritten_for_a_shorter_path()
    {
        var entry = Analyze("libempty.so", MergedStringsFixture.Prefix);
        Assert.Equal("", Assert.Single(Assert.Single(entry.Relocation!.Segments!).SharedTails!).Text);
        var target = new RelocationTarget(MergedStringsFixture.Prefix, "/x");

        var bytes = File.ReadAllBytes(Deploy("libempty.so", entry, target));

        Assert.True(bytes.AsSpan().IndexOf("/x\0"u8) > 0);
        Assert.Empty(target.Kept.MergeInto([]));
        Assert.Single(RelocationPlanner.FindKept(Manifest(entry), MergedStringsFixture.Prefix + "/longer"));
    }

    [Fact]
    public void A_shared_tail_after_the_prefix_survives_a_destination_of_the_same_length_only()
    {
        var entry = Analyze("libafter.so", MergedStringsFixture.AfterPrefix);
        Assert.Equal("python3.11", Assert.Single(Assert.Single(entry.Relocation!.Segments!).SharedTails!).Text);
        var manifest = Manifest(entry) with { SourcePrefix = MergedStringsFixture.AfterPrefix };

        var sameLength = new RelocationTarget(MergedStringsFixture.AfterPrefix, "/srv/pz");
        var bytes = File.ReadAllBytes(Deploy("libafter.so", entry, sameLength));

        Assert.True(bytes.AsSpan().IndexOf("/srv/pz/lib/python3.11\0"u8) > 0);
        Assert.Empty(sameLength.Kept.MergeInto([]));
        Assert.Empty(RelocationPlanner.FindKept(manifest, "/srv/pz"));
        Assert.True(Assert.Single(RelocationPlanner.FindKept(manifest, "/srv/p")).SameLengthKeeps);
        Assert.False(Assert.Single(RelocationPlanner.FindKept(Manifest(Analyze("libboth.so", MergedStringsFixture.Prefix)), "/x")).SameLengthKeeps);
    }

    private ManifestEntry Analyze(string name, string prefix)
    {
        var bytes = fixture.Read(name);
        using var stream = new MemoryStream(bytes, writable: false);
        var analysis = new FileAnalyzer(prefix).Analyze(stream, "lib.so", null);
        return new ManifestEntry
        {
            Path = "lib.so",
            Type = EntryType.File,
            Mode = 0x1ED,
            MtimeNs = 0,
            Size = bytes.Length,
            Sha256 = analysis.Sha256,
            Relocation = analysis.Relocation,
        };
    }

    private string Deploy(string name, ManifestEntry entry, RelocationTarget target)
    {
        var path = _work.Combine($"{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, fixture.Read(name));
        FileRelocationApplier.Apply(path, entry, target);
        return path;
    }

    private static string Symbols(string path) => ProcessRunner.RunChecked("readelf", ["--dyn-syms", "-W", path]).StdOut;

    private static Manifest Manifest(ManifestEntry entry) => new()
    {
        EnvshipVersion = "test",
        SourcePrefix = MergedStringsFixture.Prefix,
        Platform = new ManifestPlatform("", "", ""),
        Created = DateTimeOffset.UnixEpoch,
        Root = new ManifestRoot(0, 0),
        Environments = [],
        Summary = new ManifestSummary(),
        Entries = [entry],
    };
}
