using Envship.Core.Conda;
using Envship.Core.Manifests;
using Envship.Core.Registry;
using Envship.Core.Registry.Artifact;
using Envship.Testing;

namespace Envship.Core.Tests.Registry.Artifact;

/// <summary>Layer assignment over the real conda-meta of an osx-arm64 environment (conda 25.1.2) and its two pip dist-infos.</summary>
public sealed class LayerPlanTests
{
    private const string Site = "lib/python3.13t/site-packages";
    private static readonly string Fixture = Path.Combine(FixturePaths.RealCondaMeta, "envpy313tosx_whl");

    [Fact]
    public void Every_entry_lands_in_exactly_one_layer_base_first_then_conda_by_name_then_pip()
    {
        var manifest = RealManifest();
        var (conda, pip) = LayerOwners.Find(manifest, ReadFixture);
        var layers = LayerPlan.Plan(manifest, conda, pip);

        var placed = layers.SelectMany(l => l.Entries.Select(e => e.Path)).ToList();
        Assert.Equal(manifest.Entries.Count, placed.Count);
        Assert.Equal(manifest.Entries.Select(e => e.Path).Order(StringComparer.Ordinal), placed.Order(StringComparer.Ordinal));

        Assert.Equal("base", layers[0].Title);
        var condaTitles = layers.Where(l => l.Kind == LayerKind.Conda).Select(l => l.Title).ToList();
        Assert.Equal(condaTitles.Order(StringComparer.Ordinal), condaTitles);

        // python_abi lists no files, so it has no layer; the other 15 records each have one.
        Assert.Equal(15, condaTitles.Count);
        Assert.DoesNotContain(condaTitles, t => t.StartsWith("conda:python_abi-", StringComparison.Ordinal));
        Assert.Equal(["pip:imagesize-1.4.1"], layers.Where(l => l.Kind == LayerKind.Pip).Select(l => l.Title));
        Assert.Equal(LayerKind.Pip, layers[^1].Kind);
    }

    [Fact]
    public void Directories_conda_meta_and_unowned_files_go_to_the_base()
    {
        var manifest = RealManifest();
        var (conda, pip) = LayerOwners.Find(manifest, ReadFixture);
        var layers = LayerPlan.Plan(manifest, conda, pip);

        var base_ = layers[0].Entries.Select(e => e.Path).ToHashSet();
        Assert.All(manifest.Entries.Where(e => e.Type == EntryType.Directory), d => Assert.Contains(d.Path, base_));
        Assert.Contains("conda-meta/history", base_);
        Assert.Contains("conda-meta/openssl-3.4.1-h81ee809_0.json", base_);
        Assert.Contains("etc/unowned.conf", base_);
        Assert.DoesNotContain(layers.Skip(1).SelectMany(l => l.Entries), e => e.Type == EntryType.Directory);
        Assert.Equal(manifest.Metadata, layers[0].Exports);
    }

    [Fact]
    public void Pip_files_follow_their_record_and_a_distribution_conda_installed_stays_with_conda()
    {
        var manifest = RealManifest();
        var (conda, pip) = LayerOwners.Find(manifest, ReadFixture);
        var layers = LayerPlan.Plan(manifest, conda, pip);

        var imagesize = layers.Single(l => l.Title == "pip:imagesize-1.4.1").Entries.Select(e => e.Path).ToList();
        Assert.Contains($"{Site}/imagesize.py", imagesize);
        Assert.Contains($"{Site}/imagesize-1.4.1.dist-info/RECORD", imagesize);
        var pipLayer = layers.Single(l => l.Title == "conda:pip-25.0.1-pyh145f28c_0");
        Assert.Contains($"{Site}/pip-25.0.1.dist-info/RECORD", pipLayer.Entries.Select(e => e.Path));
        Assert.Contains("bin/pip", pipLayer.Entries.Select(e => e.Path));
        Assert.Equal("pip", pipLayer.Annotations[OciAnnotations.CondaName]);
        Assert.Equal("25.0.1", pipLayer.Annotations[OciAnnotations.CondaVersion]);
        Assert.Equal("pyh145f28c_0", pipLayer.Annotations[OciAnnotations.CondaBuild]);
    }

    [Fact]
    public void A_hard_link_follows_its_file_into_that_files_layer_even_when_it_sorts_first()
    {
        var manifest = RealManifest();
        var (conda, pip) = LayerOwners.Find(manifest, ReadFixture);
        var layers = LayerPlan.Plan(manifest, conda, pip);

        var openssl = layers.Single(l => l.Title == "conda:openssl-3.4.1-h81ee809_0").Entries.Select(e => e.Path).ToList();
        var target = conda.Single(c => c.Record.Name == "openssl").Record.Files[0];
        Assert.Contains("aaa-hardlink", openssl);
        Assert.True(openssl.IndexOf("aaa-hardlink") > openssl.IndexOf(target));
        Assert.DoesNotContain("aaa-hardlink", layers[0].Entries.Select(e => e.Path));
    }

    [Fact]
    public void A_path_two_records_list_goes_to_the_first_by_name()
    {
        var manifest = RealManifest();
        var (conda, pip) = LayerOwners.Find(manifest, ReadFixture);
        var shared = conda.Single(c => c.Record.Name == "openssl").Record.Files[0];
        var intruder = new CondaLayerOwner("", CondaPackageRecord.Parse("""{"name":"zzz","version":"1","build":"0","files":["FILE"]}"""u8.ToArray()) with { });
        intruder = intruder with { Record = intruder.Record with { Files = [shared] } };
        var layers = LayerPlan.Plan(manifest, [.. conda, intruder], pip);

        Assert.Contains(shared, layers.Single(l => l.Title == "conda:openssl-3.4.1-h81ee809_0").Entries.Select(e => e.Path));
        Assert.DoesNotContain(layers, l => l.Title == "conda:zzz-1-0");
    }

    [Theory]
    [InlineData("foo/__init__.py,sha256=x,10", "foo/__init__.py")]
    [InlineData("\"odd,name.py\",sha256=x,1", "odd,name.py")]
    [InlineData("\"say \"\"hi\"\".txt\",,", "say \"hi\".txt")]
    [InlineData("../../../bin/tool,sha256=x,5", "bin/tool")]
    [InlineData("/opt/env/bin/abs-tool,,", "bin/abs-tool")]
    public void Record_paths_resolve_against_site_packages(string line, string expected)
    {
        Assert.Equal([expected], PipRecord.Paths(line + "\n", "lib/python3.12/site-packages", "/opt/env").Select(p => p.Replace("lib/python3.12/site-packages/", "", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("../../../../etc/passwd,,")]
    [InlineData("/usr/bin/outside,,")]
    [InlineData("")]
    public void Record_paths_that_leave_the_prefix_are_dropped(string line)
    {
        Assert.Empty(PipRecord.Paths(line, "lib/python3.12/site-packages", "/opt/env"));
    }

    private static byte[] ReadFixture(string path) => File.ReadAllBytes(Path.Combine(Fixture, path));

    /// <summary>A manifest of every file the fixture's records and RECORDs list, their directories, conda-meta, an unowned file and a hard link.</summary>
    private static Manifest RealManifest()
    {
        var files = new SortedSet<string>(StringComparer.Ordinal) { "etc/unowned.conf", "conda-meta/history" };
        foreach (var json in Directory.GetFiles(Path.Combine(Fixture, "conda-meta"), "*.json"))
        {
            files.Add("conda-meta/" + Path.GetFileName(json));
            files.UnionWith(CondaPackageRecord.Parse(File.ReadAllBytes(json)).Files);
        }

        files.UnionWith(PipRecord.Paths(File.ReadAllText(Path.Combine(Fixture, Site, "imagesize-1.4.1.dist-info/RECORD")), Site, "/opt/env"));
        var directories = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            for (var slash = file.LastIndexOf('/'); slash > 0; slash = file.LastIndexOf('/', slash - 1))
            {
                directories.Add(file[..slash]);
            }
        }

        var openssl = CondaPackageRecord.Parse(File.ReadAllBytes(Path.Combine(Fixture, "conda-meta/openssl-3.4.1-h81ee809_0.json"))).Files[0];
        var entries = files.Select(f => new ManifestEntry { Path = f, Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = 0, Sha256 = new string('0', 64) })
            .Concat(directories.Select(d => new ManifestEntry { Path = d, Type = EntryType.Directory, Mode = 493, MtimeNs = 0 }))
            .Append(new ManifestEntry { Path = "aaa-hardlink", Type = EntryType.Hardlink, Mode = 420, MtimeNs = 0, Target = openssl })
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
        return new Manifest
        {
            EnvshipVersion = "test",
            SourcePrefix = "/opt/env",
            Platform = new ManifestPlatform("osx-arm64", "osx", "arm64"),
            Created = DateTimeOffset.UnixEpoch,
            Root = new ManifestRoot(493, 0),
            Environments = [new ManifestEnvironment { Path = "", Name = "envpy313tosx_whl" }],
            Summary = new ManifestSummary(),
            Metadata = [new ManifestMetadataFile(".envship/exports/envpy313tosx_whl/environment.yml", 3, new string('1', 64))],
            Entries = entries,
        };
    }
}
