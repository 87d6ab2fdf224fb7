using System.Text.Json.Nodes;
using System.Text.Json;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Relocation;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, <c>--ignore-glibc</c>: pack records each ELF file's highest glibc need; a deploy refuses files needing
/// more than the host has, naming the override, and with it deploys and lists every file that will not load.
/// </summary>
public sealed class GlibcOverrideTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void Pack_records_the_highest_glibc_need_of_every_elf_file()
    {
        var manifest = ArchiveReader.ReadManifestOnly(env.Pack("needs.tar.zst"));
        var (greeter, tight) = (env.Built.Greeter!, env.Built.Tight!);

        Assert.NotNull(manifest.GlibcNeeds);
        foreach (var path in new[] { greeter.ExecutableRelativePath, greeter.LibraryRelativePath, tight.ExecutableRelativePath, tight.LibraryRelativePath })
        {
            var readelf = ProcessRunner.RunChecked("readelf", ["-V", "-W", Path.Combine(env.Prefix, path)]).StdOut;
            var highest = GlibcVersions.Highest(System.Text.RegularExpressions.Regex.Matches(readelf, @"Name: (GLIBC_[0-9.]+) ").Select(m => m.Groups[1].Value));
            Assert.Equal(highest, manifest.GlibcNeeds.SingleOrDefault(n => n.Path == path)?.Glibc);
        }

        Assert.Contains(manifest.GlibcNeeds, n => n.Path == greeter.ExecutableRelativePath);

        Assert.Equal(manifest.GlibcFloor, manifest.GlibcNeeds.Select(n => n.Glibc).Aggregate((a, b) => GlibcVersions.Compare(a, b) >= 0 ? a : b));
        Assert.DoesNotContain(manifest.GlibcNeeds, n => n.Path.StartsWith("conda-meta/", StringComparison.Ordinal) || n.Path.EndsWith(".h", StringComparison.Ordinal));
    }

    [Fact]
    public void Files_needing_a_newer_glibc_are_refused_naming_the_override_and_deployed_and_listed_with_it()
    {
        var (greeter, tight) = (env.Built.Greeter!, env.Built.Tight!);
        var archive = FutureArchive("future-needs", greeter.ExecutableRelativePath, tight.ExecutableRelativePath);
        var parent = env.Work.CreateDirectory("future-needs-parent");
        var destination = Path.Combine(parent, "env");
        var host = HostLibc.GlibcVersion!;

        var refused = CliRunner.Run("deploy", archive, "--prefix", destination);

        Assert.True(refused.ExitCode == (int)ExitCode.PreflightFailed, refused.All);
        Assert.Contains($"'{greeter.ExecutableRelativePath}' needs GLIBC_9.99", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains($"2 files need more than {host}", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("--ignore-glibc", refused.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));

        Assert.Equal((int)ExitCode.PreflightFailed, CliRunner.Run("deploy", archive, "--prefix", destination, "--dry-run").ExitCode);
        var plan = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--dry-run", "--ignore-glibc");
        Assert.Contains($"won't load: {greeter.ExecutableRelativePath} needs GLIBC_9.99", plan.StdOut, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));

        var deployed = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--ignore-glibc");

        var listed = deployed.StdErr.Split('\n').Where(l => l.Contains("it will not load here", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                $"envship: warning: {greeter.ExecutableRelativePath} needs GLIBC_9.99 but this machine has glibc {host}; it will not load here.",
                $"envship: warning: {tight.ExecutableRelativePath} needs GLIBC_9.98 but this machine has glibc {host}; it will not load here.",
            ],
            listed);
        Assert.Equal([greeter.ExecutableRelativePath, tight.ExecutableRelativePath], Receipt.Load(destination).GlibcShortfalls!.Select(s => s.Path));
        Assert.Equal(0, CliRunner.Run("verify", destination).ExitCode);

        var json = CliRunner.RunOk("deploy", archive, "--prefix", Path.Combine(parent, "json-env"), "--ignore-glibc", "--json");
        var shortfalls = JsonNode.Parse(json.StdOut)!["glibc_shortfalls"]!.AsArray();
        Assert.Equal(2, shortfalls.Count);
        Assert.Contains(shortfalls, s => (string?)s!["path"] == tight.ExecutableRelativePath && (string?)s["glibc"] == "9.98");
    }

    [Fact]
    public void An_archive_without_per_file_needs_lists_the_file_its_floor_names()
    {
        var (greeter, tight) = (env.Built.Greeter!, env.Built.Tight!);
        var archive = FutureArchive("future-floor-only", greeter.ExecutableRelativePath, tight.ExecutableRelativePath, dropNeeds: true);
        var destination = Path.Combine(env.Work.CreateDirectory("future-floor-parent"), "env");

        var deployed = CliRunner.RunOk("deploy", archive, "--prefix", destination, "--ignore-glibc");

        Assert.Contains($"envship: warning: {greeter.ExecutableRelativePath} needs GLIBC_9.99 but this machine has glibc", deployed.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(tight.ExecutableRelativePath + " needs", deployed.StdErr, StringComparison.Ordinal);
    }

    /// <summary>A directory archive whose manifest says two real gcc-built programs need glibc 9.99 and 9.98.</summary>
    private string FutureArchive(string name, string executable, string other, bool dropNeeds = false)
    {
        var archive = env.Work.Combine(name);
        CliRunner.RunOk("pack", "-p", env.Prefix, "-o", archive, "--format", "dir", "-q");
        var path = Path.Combine(archive, Manifest.EntryName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        manifest["glibc_floor"] = "9.99";
        manifest["glibc_floor_file"] = executable;
        var needs = manifest["glibc_needs"]!.AsArray();
        needs.Single(n => (string?)n!["path"] == executable)!["glibc"] = "9.99";
        needs.Single(n => (string?)n!["path"] == other)!["glibc"] = "9.98";
        if (dropNeeds)
        {
            manifest.Remove("glibc_needs");
        }

        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return archive;
    }
}
