using System.Text.Json;
using Envship.Core.Registry;
using Envship.Core.Registry.Transport;
using Envship.Testing;
using Envship.Testing.Registry;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// One environment in two versions pushed to a real docker-registry: six conda packages (random data
/// files, a text file naming the prefix, a hard link and a symlink each) and a script no record owns.
/// v2 upgrades pkg2 (new version, new file contents), adds pkg6 and a pip distribution no record owns, and
/// changes bin/tool (owned by no record, so in the base layer); pkg0, 1, 3, 4 and 5 are unchanged.
/// </summary>
public sealed class LayeredEnvironments : IDisposable
{
    public const int Packages = 6;
    private const int FilesPerPackage = 4;
    private const int FileBytes = 64 << 10;

    public LayeredEnvironments()
    {
        Work = new TempDirectory("envship-layered-");
        Registry = RegistryServer.StartAnonymous();
        var prefix = Work.CreateDirectory("src-env");
        Work.WriteFile("src-env/conda-meta/history", "==> 2024-01-01 00:00:00 <==\n");
        Work.WriteFile("src-env/bin/tool", $"#!{prefix}/bin/sh\necho tool\n");
        for (var i = 0; i < Packages; i++)
        {
            WritePackage(prefix, i, "1.0", seed: i);
        }

        V1Archive = Pack(prefix, "v1.tar.zst");
        File.Delete(Path.Combine(prefix, "conda-meta", "pkg2-1.0-0.json"));
        WritePackage(prefix, 2, "2.0", seed: 100);
        WritePackage(prefix, Packages, "1.0", seed: 200);
        WritePipDistribution(prefix, "extra_tool", "1.0");
        Work.WriteFile("src-env/bin/tool", $"#!{prefix}/bin/sh\necho tool v2\n");
        V2Archive = Pack(prefix, "v2.tar.zst");
        CliRunner.RunOk("push", V1Archive, Reference("v1"), "-q");
        CliRunner.RunOk("push", V2Archive, Reference("v2"), "-q");
        V1 = Fetch("v1");
        V2 = Fetch("v2");
    }

    public TempDirectory Work { get; }
    public RegistryServer Registry { get; }
    public string V1Archive { get; }
    public string V2Archive { get; }
    public OciImageManifest V1 { get; }
    public OciImageManifest V2 { get; }

    public string Reference(string tag, string repository = "envs/demo") => $"oci://{Registry.Host}/{repository}:{tag}";

    /// <summary>The manifest's bytes as the registry holds them under <paramref name="tag"/>, and their digest.</summary>
    public OciManifestBytes ManifestBytes(string tag)
    {
        using var repository = RegistryRepository.Open(OciReference.Parse(Reference(tag)), RemoteOptions.Default);
        return repository.GetManifestAsync(tag, CancellationToken.None).GetAwaiter().GetResult();
    }

    public static string Title(OciDescriptor layer) => layer.Annotations![OciAnnotations.Title];

    /// <summary>The bytes a v1-to-v2 update needs at most: the layers v1 lacks, the config and the manifest.</summary>
    public long ChangedBytes(out IReadOnlyList<OciDescriptor> changed)
    {
        var before = V1.Layers.Select(l => l.Digest).ToHashSet(StringComparer.Ordinal);
        changed = [.. V2.Layers.Where(l => !before.Contains(l.Digest))];
        return changed.Sum(l => l.Size) + V2.Config.Size + V2.ToJson().Length;
    }

    public void Dispose()
    {
        Registry.Dispose();
        Work.Dispose();
    }

    private void WritePackage(string prefix, int index, string version, int seed)
    {
        var name = $"pkg{index}";
        var random = new Random(seed);
        var files = new List<string>();
        for (var f = 0; f < FilesPerPackage; f++)
        {
            var data = new byte[FileBytes];
            random.NextBytes(data);
            var relative = $"lib/{name}/data-{f}.bin";
            Directory.CreateDirectory(Path.Combine(prefix, "lib", name));
            File.WriteAllBytes(Path.Combine(prefix, relative), data);
            files.Add(relative);
        }

        Work.WriteFile($"src-env/lib/{name}/config.txt", $"prefix={prefix}\nversion={version}\n");
        files.Add($"lib/{name}/config.txt");
        var link = Path.Combine(prefix, "lib", name, "data-0.hardlink");
        File.Delete(link);
        Envship.Core.Platform.UnixFileSystem.HardLink(Path.Combine(prefix, "lib", name, "data-0.bin"), link);
        files.Add($"lib/{name}/data-0.hardlink");
        var symlink = Path.Combine(prefix, "lib", name, "current");
        File.Delete(symlink);
        File.CreateSymbolicLink(symlink, "data-1.bin");
        files.Add($"lib/{name}/current");
        var record = new Dictionary<string, object>
        {
            ["name"] = name,
            ["version"] = version,
            ["build"] = "0",
            ["build_number"] = 0,
            ["channel"] = "https://conda.anaconda.org/conda-forge/linux-64",
            ["files"] = files,
        };
        File.WriteAllText(Path.Combine(prefix, "conda-meta", $"{name}-{version}-0.json"), JsonSerializer.Serialize(record));
    }

    /// <summary>A pip distribution as pip installs one: the package, and METADATA and RECORD in its dist-info.</summary>
    private void WritePipDistribution(string prefix, string name, string version)
    {
        const string SitePackages = "lib/python3.12/site-packages";
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [$"{name}/__init__.py"] = $"PREFIX = '{prefix}'\nVERSION = '{version}'\n",
            [$"{name}-{version}.dist-info/METADATA"] = $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        };
        var record = new System.Text.StringBuilder();
        foreach (var (path, content) in files)
        {
            Work.WriteFile($"src-env/{SitePackages}/{path}", content);
            var bytes = System.Text.Encoding.UTF8.GetBytes(content);
            var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append($"{path},sha256={hash},{bytes.Length}\n");
        }

        record.Append($"{name}-{version}.dist-info/RECORD,,\n");
        Work.WriteFile($"src-env/{SitePackages}/{name}-{version}.dist-info/RECORD", record.ToString());
    }

    private string Pack(string prefix, string name)
    {
        var archive = Work.Combine(name);
        CliRunner.RunOk("pack", "-p", prefix, "-o", archive, "-q");
        return archive;
    }

    private OciImageManifest Fetch(string tag)
    {
        using var repository = RegistryRepository.Open(OciReference.Parse(Reference(tag)), RemoteOptions.Default);
        return OciImageManifest.Parse(repository.GetManifestAsync(tag, CancellationToken.None).GetAwaiter().GetResult().Content);
    }
}
