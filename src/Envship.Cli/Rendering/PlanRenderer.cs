using System.Globalization;
using Envship.Core.Deploy;

namespace Envship.Cli.Rendering;

/// <summary>The text <c>deploy --dry-run</c> prints: what a deploy would write, where, and what it would warn about.</summary>
internal static class PlanRenderer
{
    public static IEnumerable<string> Render(DryRunResult result)
    {
        if (result.Unchanged is { } unchanged)
        {
            yield return "dry run: nothing was written. A deploy would write nothing either.";
            yield return Unchanged(unchanged);
            yield break;
        }

        var plan = result.Plan!;
        var manifest = plan.Manifest;
        var summary = manifest.Summary;
        var policy = plan.Policy;
        yield return $"dry run: nothing was written. A deploy would succeed.";
        yield return $"destination: {plan.Destination}";
        yield return $"archive: {result.MembersChecked} members read and verified against the manifest (sha256 {result.ManifestSha256})";
        yield return result.Signature is { } signature
            ? $"signature: good, from key {signature.KeyId}; trusted comment: {signature.TrustedComment}"
            : "signature: not checked (no --verify-key)";
        yield return $"platform: {manifest.Platform.Subdir}; glibc needed: {manifest.GlibcFloor ?? "none"}{(manifest.GlibcFloorFile is null ? "" : $" ({manifest.GlibcFloorFile})")}, host: {plan.HostGlibc ?? "not glibc"}";
        if (plan.Cuda is { } cuda)
        {
            yield return $"cuda: needs {(cuda.MinDriver is null ? "an NVIDIA driver" : $"a driver for CUDA {cuda.MinDriver} or newer")} ({cuda.RequiredBy}), host: {(cuda.HostCuda is null ? cuda.Driver : $"CUDA {cuda.HostCuda}")}";
        }

        yield return Invariant($"files: {summary.Files}, directories: {summary.Directories}, symlinks: {summary.Symlinks}, hard links: {summary.Hardlinks}, {summary.TotalBytes:N0} bytes");
        yield return $"disk: needs {Size(plan.Disk.NeededBytes)}, {Size(plan.Disk.AvailableBytes)} free on the filesystem of {plan.Disk.FileSystemPath}";
        yield return $"relocations: {(summary.Relocations.Count == 0 ? "none" : string.Join(", ", summary.Relocations.Select(r => $"{r.Value} {r.Key}")))} (from {manifest.SourcePrefix})";
        yield return $"permissions: {Describe(policy)}";
        foreach (var warning in plan.Warnings)
        {
            yield return $"won't fit: {warning.Describe(plan.Destination)}";
        }

        foreach (var kept in plan.KeptStrings)
        {
            yield return $"kept: {kept.Describe()}";
        }

        foreach (var shortfall in plan.GlibcShortfalls)
        {
            yield return $"won't load: {shortfall.Describe()}";
        }

        foreach (var note in plan.Notes.Concat(manifest.Warnings))
        {
            yield return $"warning: {note}";
        }
    }

    /// <summary>The one line a deploy prints when DEST already holds the archive's content.</summary>
    public static string Unchanged(UnchangedDeploy unchanged) =>
        Invariant($"unchanged: {unchanged.Destination} already holds sha256:{unchanged.ManifestSha256} (deployed {unchanged.DeployedAt.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} from {unchanged.ArchivePath}); nothing was written. Pass --redeploy to deploy it again anyway.");

    private static string Describe(PermissionPolicy policy)
    {
        var parts = new List<string>();
        parts.Add(policy.ChangesGroup ? Invariant($"group {policy.GroupId} on every entry") : "group of the deploying user");
        if (policy.Shared)
        {
            parts.Add("g+rX everywhere, envs/ and pkgs/ g+ws");
        }

        parts.Add(policy.PreserveSpecialBits ? "setuid/setgid/sticky/o+w kept" : "setuid/setgid/sticky/o+w dropped");
        return string.Join("; ", parts);
    }

    private static string Size(long bytes) => Invariant($"{bytes / 1048576.0:0.0} MiB ({bytes:N0} bytes)");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
