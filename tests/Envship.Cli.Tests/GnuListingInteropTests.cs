using System.Globalization;
using Envship.Cli.Tests.Fixtures;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// Issue 12, item 3: for valid and tricky archives, the members envship would deploy are exactly
/// the ones GNU tar lists, or envship refuses the archive. A reader that ignores pax, or reads it
/// otherwise, must never be shown another tree than the one envship deploys.
/// </summary>
public sealed class GnuListingInteropTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    public static TheoryData<string> Archives => [.. Builders.Keys, .. TarStrictnessTests.CaseTable.Keys];

    private static readonly Dictionary<string, (Func<TinyEnvironment, byte[]> Build, string Extension, bool MustDeploy)> Builders = new()
    {
        ["plain tar"] = (e => File.ReadAllBytes(e.Tar), ".tar", true),
        ["tar.zst"] = (e => File.ReadAllBytes(e.TarZst), ".tar.zst", true),
        ["tar.gz"] = (e => File.ReadAllBytes(e.TarGz), ".tar.gz", true),
        ["long names in pax"] = (LongNames, ".tar", true),
        ["pax size of 2^32 + N, agreeing ustar size"] = (e => TarStrictnessTests.WithPax(TarStrictnessTests.Plain(e), "share/doc/f04.txt", [RawTar.Text("size", ((1L << 32) + 520).ToString(CultureInfo.InvariantCulture))], "share/doc/f04.txt", '0', (1L << 32) + 520), ".tar", false),
        ["pax path agreeing with the ustar name"] = (e => TarStrictnessTests.WithPax(TarStrictnessTests.Plain(e), "share/doc/f05.txt", [RawTar.Text("path", "share/doc/f05.txt")], "share/doc/f05.txt", '0'), ".tar", true),
        ["GNU tar's 10 KiB record padding"] = (e => [.. TarStrictnessTests.Plain(e), .. new byte[10240]], ".tar", true),
    };

    [Theory]
    [MemberData(nameof(Archives))]
    public void Envship_deploys_what_gnu_tar_lists_or_refuses(string name)
    {
        var (build, extension, mustDeploy) = Builders.TryGetValue(name, out var builder)
            ? builder
            : (TarStrictnessTests.CaseTable[name].Build, TarStrictnessTests.CaseTable[name].Extension, false);
        var archive = env.Work.Combine("listing-" + new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]) + extension);
        File.WriteAllBytes(archive, build(env));

        var deployed = EnvshipMembers(archive);
        if (deployed is null)
        {
            Assert.False(mustDeploy, $"envship refused a valid archive ({name})");
            return;
        }

        var gnu = ProcessRunner.Run("tar", ["-tf", archive]);
        Assert.True(gnu.ExitCode == 0, $"envship accepted '{name}' but GNU tar fails on it:\n{gnu.StdErr}");
        var listed = gnu.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.TrimEnd('/'))
            .Where(n => !n.StartsWith(".envship/", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(listed, deployed);
    }

    /// <summary>
    /// The members deploy would extract, read by the deploy's own reader to the archive's end with
    /// the size check deploy makes before reading data; null when it refuses.
    /// </summary>
    private static List<string>? EnvshipMembers(string archive)
    {
        try
        {
            using var reader = ArchiveReader.Open(archive);
            reader.ReadMetadata();
            var members = new List<string>();
            var declared = reader.Manifest.Entries.ToDictionary(e => e.Path, e => e.Size, StringComparer.Ordinal);
            foreach (var member in reader.ReadMembers())
            {
                if (member.Data is not null && (!declared.TryGetValue(member.Path, out var size) || size != member.Size))
                {
                    return null;
                }

                members.Add(member.Path);
                member.Data?.CopyTo(Stream.Null);
            }

            reader.ReadToEnd();
            return members;
        }
        catch (EnvshipException ex) when (ex.Code == ExitCode.DamagedArchive)
        {
            return null;
        }
        catch (Exception ex) when (ArchiveReader.IsDamage(ex))
        {
            return null;
        }
    }

    /// <summary>Files whose names need pax (over 100 bytes, non-ASCII), written by System.Formats.Tar with the ustar name cut at 100 bytes.</summary>
    private static byte[] LongNames(TinyEnvironment env)
    {
        var archive = HostileArchiveBuilder.Read(env.Tar);
        var names = new[] { "share/" + new string('l', 120) + ".txt", "share/" + new string('\u00e9', 70) + ".txt" };
        var entries = names.Select(n => new ManifestEntry { Path = n, Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = 1, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("x"u8)) }).ToList();
        archive = archive with
        {
            Manifest = archive.Manifest with
            {
                Entries = [.. archive.Manifest.Entries, .. entries],
                Summary = archive.Manifest.Summary with { TotalBytes = archive.Manifest.Summary.TotalBytes + entries.Count },
            },
            Members = [.. archive.Members, .. names.Select(n => new RawMember(n, System.Formats.Tar.TarEntryType.RegularFile, "x"u8.ToArray()))],
        };
        return File.ReadAllBytes(HostileArchiveBuilder.Write(env.Work.Combine("listing-source-long.tar"), archive, ArchiveFormat.Tar));
    }
}
