using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;
using Envship.Core.Tests.Archive;

namespace Envship.Core.Tests.Manifests;

public sealed class ManifestEntrySpoolTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3000)]
    public void A_manifest_from_spooled_entries_is_byte_identical_to_one_serialized_whole(int count)
    {
        var entries = Enumerable.Range(0, count).Select(EntryShapes.Entry).ToList();
        var manifest = Outline() with { Entries = entries };
        using var whole = new MemoryStream();
        ManifestJson.Write(manifest, whole);

        using var work = new TempDirectory();
        using var spool = new ManifestEntrySpool(work.Combine("entries"));
        foreach (var entry in entries)
        {
            spool.Add(entry);
        }

        using var streamed = new MemoryStream();
        ManifestJson.Write(manifest with { Entries = [] }, spool, streamed);

        Assert.Equal(whole.ToArray(), streamed.ToArray());
        Assert.Equal(count, ManifestJson.Deserialize(streamed.ToArray(), "streamed").Entries.Count);
    }

    [Fact]
    public void The_spool_file_is_gone_once_disposed()
    {
        using var work = new TempDirectory();
        var path = work.Combine("entries");
        using (var spool = new ManifestEntrySpool(path))
        {
            spool.Add(EntryShapes.Entry(1));
            Assert.True(File.Exists(path));
        }

        Assert.False(File.Exists(path));
    }

    private static Manifest Outline() => new()
    {
        EnvshipVersion = "0.1.0",
        SourcePrefix = "/opt/conda/envs/t",
        Platform = new ManifestPlatform("linux-64", "linux", "x86_64"),
        Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        Root = new ManifestRoot(0x1ED, 5),
        Environments = [new ManifestEnvironment { Path = "", Name = "t", CondaPackages = [new ManifestCondaPackage("python", "3.12.1", "h1", "conda-forge", "linux-64", 123)] }],
        Summary = new ManifestSummary { Files = 2, Relocations = new Dictionary<string, int> { ["binary"] = 1, ["shebang"] = 1 } },
        Warnings = ["a warning with \"quotes\""],
        Metadata = [new ManifestMetadataFile(".envship/environment.yml", 10, new string('b', 64))],
        Entries = [],
    };
}
