using System.Text.Json.Serialization;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Diff;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Cli;

public sealed record EnvironmentSummary(string Path, string Name, string? PythonVersion, int CondaPackages, int PipDistributions);

public sealed record PackSummary(
    string Output,
    long ArchiveBytes,
    string SourcePrefix,
    string Platform,
    bool WholeInstallation,
    IReadOnlyList<EnvironmentSummary> Environments,
    ManifestSummary Summary,
    IReadOnlyList<string> Warnings,
    double ElapsedSeconds);

public sealed record DeploySummary(
    string Destination,
    string ManifestSha256,
    string SourcePrefix,
    int FilesRelocated,
    IReadOnlyList<RelocationWarning> RelocationWarnings,
    IReadOnlyList<string> AddedFiles,
    string Activate,
    double ElapsedSeconds,
    string? SignerKeyId,
    string? TrustedComment)
{
    public IReadOnlyList<KeptString> KeptStrings { get; init; } = [];
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Files deployed with <c>--ignore-glibc</c> that will not load on this machine.</summary>
    public IReadOnlyList<GlibcShortfall> GlibcShortfalls { get; init; } = [];

    /// <summary>The environment's CUDA need against this machine's driver; null when no environment needs CUDA.</summary>
    public CudaCheck? Cuda { get; init; }

    /// <summary>False when DEST already held this manifest and nothing was written.</summary>
    public bool Changed { get; init; } = true;

    /// <summary>When DEST's current tree was deployed, for an unchanged deploy.</summary>
    public DateTimeOffset? DeployedAt { get; init; }

    /// <summary>For oci:// and oci-layout: deploys, the bytes fetched and reused and where each layer came from.</summary>
    public Commands.TransferSummary? Transfer { get; init; }

    /// <summary>Requests, resumes and bytes of an https:// ARCHIVE; null for a local one.</summary>
    public Core.Https.DownloadReport? Download { get; init; }
}

/// <summary><c>deploy --dry-run --json</c> when DEST already holds the archive's manifest: a deploy would write nothing.</summary>
public sealed record UnchangedDryRunSummary(bool DryRun, bool Changed, string Destination, string ManifestSha256, DateTimeOffset DeployedAt, string ArchivePath);

public sealed record DryRunSummary(
    bool DryRun,
    string Destination,
    string ManifestSha256,
    int MembersChecked,
    string? GlibcFloor,
    string? HostGlibc,
    DiskNeed Disk,
    ManifestSummary Summary,
    IReadOnlyList<RelocationWarning> RelocationWarnings,
    IReadOnlyList<string> Warnings)
{
    public IReadOnlyList<GlibcShortfall> GlibcShortfalls { get; init; } = [];

    /// <summary>The environment's CUDA need against this machine's driver; null when no environment needs CUDA.</summary>
    public CudaCheck? Cuda { get; init; }

    public static DryRunSummary From(DryRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plan = result.Plan ?? throw new ArgumentException("an unchanged dry run has no plan", nameof(result));
        return new DryRunSummary(true, plan.Destination, result.ManifestSha256, result.MembersChecked, plan.Manifest.GlibcFloor, plan.HostGlibc, plan.Disk, plan.Manifest.Summary, plan.Warnings, [.. plan.Notes, .. plan.Manifest.Warnings])
        {
            KeptStrings = plan.KeptStrings,
            GlibcShortfalls = plan.GlibcShortfalls,
            Cuda = plan.Cuda,
        };
    }

    public IReadOnlyList<KeptString> KeptStrings { get; init; } = [];

    /// <summary>For oci:// and oci-layout: sources, the bytes fetched and reused and where each layer came from.</summary>
    public Commands.TransferSummary? Transfer { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PackSummary))]
[JsonSerializable(typeof(Commands.BundleSummary))]
[JsonSerializable(typeof(DeploySummary))]
[JsonSerializable(typeof(DryRunSummary))]
[JsonSerializable(typeof(UnchangedDryRunSummary))]
[JsonSerializable(typeof(DriftReport))]
[JsonSerializable(typeof(DiffReport))]
[JsonSerializable(typeof(IReadOnlyList<DeployedVersion>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
