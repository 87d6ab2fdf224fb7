using Envship.Core.Manifests;
using Envship.Core.Registry;
using Envship.Core.Registry.Artifact;
using Envship.Core.Registry.Layout;
using Envship.Core.Registry.Pull;
using Envship.Core.Registry.Push;
using Envship.Testing;

namespace Envship.Core.Tests.Registry.Artifact;

/// <summary>A whole installation: records per environment (base, envs/a, envs/b), paths relative to each.</summary>
public sealed class WholeInstallationLayerTests
{
    [Fact]
    public async Task Each_environments_records_own_their_files_under_that_environment_and_the_pull_round_trips()
    {
        using var work = new TempDirectory();
        var install = WholeInstallBuilder.Build(work.Combine("miniconda3"));
        var archive = ArtifactBuilderTests.Pack(install.Root, work.Combine("whole.tar.zst"), null);
        using var artifact = ArtifactBuilder.FromArchive(archive);
        Assert.True(artifact.Manifest.WholeInstallation);

        // zlib is in base and in both envs: three layers with one title, each holding its own environment's files.
        var zlibLayers = artifact.Layers.Where(l => l.Layer.Title == "conda:zlib-1.2.11-h7b6447c_3").ToList();
        Assert.Equal(3, zlibLayers.Count);
        Assert.Contains(zlibLayers, l => l.Layer.Entries.All(e => e.Path.StartsWith("envs/a/", StringComparison.Ordinal)));
        Assert.Contains(zlibLayers, l => l.Layer.Entries.All(e => e.Path.StartsWith("envs/b/", StringComparison.Ordinal)));
        Assert.Contains(zlibLayers, l => l.Layer.Entries.All(e => !e.Path.StartsWith("envs/", StringComparison.Ordinal)));
        Assert.Contains(artifact.Layers[0].Layer.Entries, e => e.Path == "envs/a/conda-meta/history");
        Assert.Equal(artifact.Manifest.Entries.Count, artifact.Layers.Sum(l => l.Layer.Entries.Count));
        Assert.DoesNotContain(artifact.Layers.Skip(1).SelectMany(l => l.Layer.Entries), e => e.Type == EntryType.Directory);

        var store = OciLayoutStore.OpenOrCreate(work.Combine("layout"));
        await EnvironmentPusher.PushAsync(artifact, store, new PushOptions { Tags = ["latest"] });
        var pulled = await EnvironmentPuller.PullToArchiveAsync(store, "latest", work.Combine("pulled.tar.zst"));
        Assert.Equal(artifact.Config.Digest, "sha256:" + pulled.ManifestSha256);
    }
}
