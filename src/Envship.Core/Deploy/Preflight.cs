using System.Globalization;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Relocation;

namespace Envship.Core.Deploy;

/// <summary>The space a deploy needs on the destination's filesystem, and what that filesystem has free.</summary>
/// <param name="FileSystemPath">The nearest existing ancestor of the destination, which statvfs was asked about.</param>
public sealed record DiskNeed(string FileSystemPath, long NeededBytes, long AvailableBytes, long NeededInodes, long? AvailableInodes);

/// <summary>Everything preflight decided: what a deploy will write, where, with which modes, and what it will warn about.</summary>
public sealed record DeployPlan(
    string Destination,
    Manifest Manifest,
    PermissionPolicy Policy,
    DiskNeed Disk,
    string? HostGlibc,
    IReadOnlyList<RelocationWarning> Warnings,
    IReadOnlyList<string> Notes)
{
    /// <summary>Binary strings the deploy keeps unchanged because a constant shares their tail.</summary>
    public IReadOnlyList<KeptString> KeptStrings { get; init; } = [];
    /// <summary>Files that need a newer glibc than the host has, deployed anyway because of <c>--ignore-glibc</c>.</summary>
    public IReadOnlyList<GlibcShortfall> GlibcShortfalls { get; init; } = [];

    /// <summary>The environment's CUDA need against this machine's driver; null when no environment needs CUDA.</summary>
    public CudaCheck? Cuda { get; init; }
}

/// <summary>A file that needs <paramref name="Glibc"/> while the host has <paramref name="HostGlibc"/>: it will not load there.</summary>
public sealed record GlibcShortfall(string Path, string Glibc, string HostGlibc)
{
    public string Describe() => $"{Path} needs GLIBC_{Glibc} but this machine has glibc {HostGlibc}; it will not load here.";
}

/// <summary>
/// The checks that run before anything is written: platform, glibc floor, the CUDA driver, <c>--group</c>, the binary-string
/// path budget (<c>--strict</c>) and free space. Each failure names what is needed and the remedy.
/// </summary>
public static class Preflight
{
    /// <summary>Slack for what the estimate cannot see: filesystem metadata, journal and allocation granularity.</summary>
    private const long FixedMarginBytes = 1 << 20;
    private const int MarginPercent = 2;
    private const long BytesPerReceiptEntry = 256;
    private const int ShortSymlinkTarget = 60;

    public static DeployPlan Run(Manifest manifest, string archivePath, string destination, DeployOptions options)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(options);
        var notes = new List<string>();
        CheckPlatform(manifest, archivePath);
        var (hostGlibc, shortfalls) = CheckGlibc(manifest, archivePath, notes, options.IgnoreGlibc);
        var cuda = CudaPreflight.Run(manifest, archivePath, options.IgnoreCuda);
        if (cuda?.Describe() is { } cudaWarning)
        {
            notes.Add(cudaWarning);
        }

        var policy = SharedInstall.PolicyFor(options.Group, options.Shared, options.PreserveSpecialBits);
        var kept = RelocationPlanner.FindKept(manifest, destination);
        var warnings = CheckPathBudget(manifest, destination, options.Strict, kept);
        var disk = CheckDiskSpace(manifest, destination);
        return new DeployPlan(destination, manifest, policy, disk, hostGlibc, warnings, notes) { KeptStrings = kept, GlibcShortfalls = shortfalls, Cuda = cuda };
    }

    private static void CheckPlatform(Manifest manifest, string archivePath)
    {
        var host = HostPlatform.Current;
        if (manifest.Platform.Os != host.Os || manifest.Platform.Arch != host.Arch)
        {
            throw new EnvshipException(
                ExitCode.PlatformMismatch,
                $"{archivePath}: built for {manifest.Platform.Subdir} ({manifest.Platform.Os}/{manifest.Platform.Arch}) but this machine is {host.CondaSubdir} ({host.Os}/{host.Arch}); nothing was written. Deploy it on a {manifest.Platform.Subdir} machine, or pack the environment again on {host.CondaSubdir}.");
        }
    }

    private static (string? Host, IReadOnlyList<GlibcShortfall> Shortfalls) CheckGlibc(Manifest manifest, string archivePath, List<string> notes, bool ignore)
    {
        var host = HostLibc.GlibcVersion;
        if (manifest.GlibcFloor is not { } floor || GlibcVersions.Parse(floor) is null)
        {
            return (host, []);
        }

        if (host is null || GlibcVersions.Parse(host) is null)
        {
            notes.Add($"the environment needs glibc {floor} (for example {manifest.GlibcFloorFile}) but this machine's C library is not glibc; its programs may not start.");
            return (host, []);
        }

        if (GlibcVersions.Compare(floor, host) <= 0)
        {
            return (host, []);
        }

        var shortfalls = Shortfalls(manifest, host);
        if (!ignore)
        {
            var others = shortfalls.Count > 1 ? $" ({shortfalls.Count} files need more than {host})" : "";
            throw new EnvshipException(
                ExitCode.PreflightFailed,
                $"{archivePath}: the environment needs glibc {floor} or newer ('{manifest.GlibcFloorFile}' needs GLIBC_{floor}){others} but this machine has glibc {host}; its programs would fail to start, so nothing was written. Deploy on a machine with glibc {floor} or newer, pack the environment on a machine whose glibc is {host} or older, or pass --ignore-glibc to deploy anyway and list the files that will not load.");
        }

        return (host, shortfalls);
    }

    /// <summary>Every file needing more than the host has; an archive without per-file needs names only its floor's file.</summary>
    private static List<GlibcShortfall> Shortfalls(Manifest manifest, string host)
    {
        if (manifest.GlibcNeeds is not { } needs)
        {
            return [new GlibcShortfall(manifest.GlibcFloorFile ?? "(a file of the environment)", manifest.GlibcFloor!, host)];
        }

        return [.. needs
            .Where(n => GlibcVersions.Parse(n.Glibc) is not null && GlibcVersions.Compare(n.Glibc, host) > 0)
            .Select(n => new GlibcShortfall(n.Path, n.Glibc, host))];
    }

    private static List<RelocationWarning> CheckPathBudget(Manifest manifest, string destination, bool strict, IReadOnlyList<KeptString> kept)
    {
        var warnings = RelocationPlanner.Summarize(RelocationPlanner.FindUnfit(manifest, destination)).ToList();
        if (strict && kept.Count > 0)
        {
            throw new EnvshipException(
                ExitCode.RelocationImpossible,
                $"--strict: {kept.Count} binary string(s) share their tail with another constant, so relocating them to '{destination}' would corrupt that constant; nothing was written:{Environment.NewLine}"
                + string.Join(Environment.NewLine, kept.Select(k => "  " + k.Describe()))
                + $"{Environment.NewLine}Deploy to '{manifest.SourcePrefix}' itself{(kept.All(k => k.SameLengthKeeps) ? $" or to another path of exactly {System.Text.Encoding.UTF8.GetByteCount(manifest.SourcePrefix)} bytes" : "")}, rebuild the program so that its prefix does not end in a string it also uses on its own (install it at '{manifest.SourcePrefix}-env' rather than a path ending in its version), or drop --strict to deploy with these strings unchanged.");
        }

        if (strict && warnings.Count > 0)
        {
            throw new EnvshipException(
                ExitCode.RelocationImpossible,
                $"--strict: {warnings.Count} file(s) hold binary strings too short for '{destination}'; nothing was written:{Environment.NewLine}"
                + string.Join(Environment.NewLine, warnings.Select(w => "  " + w.Describe(destination)))
                + $"{Environment.NewLine}Choose a destination of at most {warnings.Min(w => w.LongestDestinationThatFits)} bytes, or drop --strict to deploy with these strings unchanged.");
        }

        return warnings;
    }

    private static DiskNeed CheckDiskSpace(Manifest manifest, string destination)
    {
        FileSystemSpace space;
        try
        {
            space = FileSystemSpace.ForNearestExisting(Path.GetDirectoryName(destination) ?? destination);
        }
        catch (IOException ex)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"{destination}: cannot check free space ({ex.Message}). Fix the path or its permissions and deploy again; nothing was written.", ex);
        }

        var need = Estimate(manifest, space);
        if (need.NeededBytes > need.AvailableBytes)
        {
            throw new EnvshipException(
                ExitCode.PreflightFailed,
                $"{destination}: not enough free space on the filesystem of {space.Path}: the deploy needs {Size(need.NeededBytes)} ({manifest.Summary.TotalBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes of files in {manifest.Summary.Files} files, plus directories, staging and a {MarginPercent}% margin) but only {Size(need.AvailableBytes)} is free; nothing was written. Free at least {Size(need.NeededBytes - need.AvailableBytes)} there, or deploy to another filesystem.");
        }

        if (need.AvailableInodes is { } inodes && need.NeededInodes > inodes)
        {
            throw new EnvshipException(
                ExitCode.PreflightFailed,
                $"{destination}: the filesystem of {space.Path} has {inodes.ToString("N0", CultureInfo.InvariantCulture)} free inodes but the deploy creates {need.NeededInodes.ToString("N0", CultureInfo.InvariantCulture)} files, directories and links; nothing was written. Remove files there, or deploy to another filesystem.");
        }

        return need;
    }

    // Staging is renamed into place on the same filesystem, so the tree is counted once; a text relocation
    // briefly holds a second copy of the file it rewrites, so the largest such file is counted twice.
    internal static DiskNeed Estimate(Manifest manifest, FileSystemSpace space)
    {
        // In 128 bits: a hostile manifest's sizes near 2^63 must not wrap the need to a small number.
        var block = Math.Max(512, space.BlockSize);
        Int128 bytes = 0;
        long inodes = 4;
        Int128 largestRewrite = 0;
        foreach (var entry in manifest.Entries)
        {
            switch (entry.Type)
            {
                case EntryType.File:
                    bytes += RoundUp(entry.Size, block);
                    inodes++;
                    if (entry.Relocation?.Kind is RelocationKind.Text or RelocationKind.Shebang)
                    {
                        largestRewrite = Int128.Max(largestRewrite, RoundUp(entry.Size, block));
                    }

                    break;
                case EntryType.Directory:
                    bytes += block;
                    inodes++;
                    break;
                case EntryType.Symlink:
                    bytes += (entry.Target?.Length ?? 0) < ShortSymlinkTarget ? 0 : block;
                    inodes++;
                    break;
            }
        }

        var receipt = RoundUp((manifest.Entries.Count + 1) * BytesPerReceiptEntry, block);
        var total = bytes + largestRewrite + receipt + (4 * block);
        total += (total * MarginPercent / 100) + FixedMarginBytes;
        return new DiskNeed(space.Path, (long)Int128.Min(total, long.MaxValue), space.AvailableBytes, inodes, space.AvailableInodes);
    }

    internal static string Size(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB ({bytes:N0} bytes)");

    private static Int128 RoundUp(Int128 value, long block) => (value + block - 1) / block * block;
}
