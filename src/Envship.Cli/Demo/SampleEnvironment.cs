using System.Text;
using System.Text.Json.Nodes;
using Envship.Core.Platform;
using Envship.Core.Hashing;

namespace Envship.Cli.Demo;

/// <summary>
/// The embedded default for the demo: a small conda-style environment with real conda-meta, a
/// script whose shebang names the prefix, a config file that names it, and links of each kind.
/// </summary>
internal static class SampleEnvironment
{
    public const string HelloScript = "bin/envship-hello";

    public static void Create(string prefix)
    {
        Directory.CreateDirectory(prefix);
        var files = new List<(string Path, string Text, bool Executable)>
        {
            (HelloScript, $"#!{prefix}/bin/envship-sh\n# Prints where it runs from and the prefix baked in at install time.\necho \"envship sample: installed at {prefix}\"\n", true),
            ("etc/envship-sample.conf", $"# written at install time\nprefix = {prefix}\ndata = {prefix}/share/envship-sample\n", false),
            ("share/envship-sample/README", "A sample environment made by 'envship demo'.\n", false),
        };
        foreach (var (path, text, executable) in files)
        {
            var full = Path.Combine(prefix, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            File.SetUnixFileMode(full, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        }

        File.CreateSymbolicLink(Path.Combine(prefix, "bin/envship-sh"), "/bin/sh");
        File.CreateSymbolicLink(Path.Combine(prefix, "share/envship-sample/latest"), Path.Combine(prefix, "share/envship-sample/README"));
        UnixFileSystem.HardLink(Path.Combine(prefix, "share/envship-sample/README"), Path.Combine(prefix, "share/envship-sample/README.hardlink"));
        WriteCondaMeta(prefix, [.. files.Select(f => f.Path), "bin/envship-sh", "share/envship-sample/latest", "share/envship-sample/README.hardlink"]);
    }

    private static void WriteCondaMeta(string prefix, IReadOnlyList<string> paths)
    {
        var meta = Path.Combine(prefix, "conda-meta");
        Directory.CreateDirectory(meta);
        var subdir = HostPlatform.Current.CondaSubdir;
        var pathsData = new JsonArray();
        foreach (var path in paths)
        {
            var full = Path.Combine(prefix, path);
            var entry = new JsonObject { ["_path"] = path, ["path_type"] = new FileInfo(full).LinkTarget is null ? "hardlink" : "softlink" };
            if (path == "etc/envship-sample.conf")
            {
                entry["prefix_placeholder"] = "/opt/anaconda1anaconda2anaconda3";
                entry["file_mode"] = "text";
                entry["sha256_in_prefix"] = Sha256.HexOf(File.ReadAllBytes(full));
            }

            pathsData.Add((JsonNode)entry);
        }

        var record = new JsonObject
        {
            ["build"] = "0",
            ["build_number"] = 0,
            ["channel"] = "local",
            ["depends"] = new JsonArray(),
            ["files"] = new JsonArray([.. paths.Select(p => (JsonNode)p)]),
            ["fn"] = "envship-sample-1.0-0.conda",
            ["license"] = "MIT",
            ["name"] = "envship-sample",
            ["paths_data"] = new JsonObject { ["paths"] = pathsData, ["paths_version"] = 1 },
            ["subdir"] = subdir,
            ["version"] = "1.0",
        };
        File.WriteAllText(Path.Combine(meta, "envship-sample-1.0-0.json"), record.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        // conda writes its history as UTF-8 without a byte order mark.
        File.WriteAllText(Path.Combine(meta, "history"), "==> 2026-01-01 00:00:00 <==\n# cmd: envship demo\n+local::envship-sample-1.0-0\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
