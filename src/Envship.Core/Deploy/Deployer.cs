using System.Reflection;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Platform;
using Envship.Core.Trust;
using Envship.Core.Hashing;

namespace Envship.Core.Deploy;

public sealed record DeployOptions
{
    public required string ArchivePath { get; init; }

    /// <summary>What the receipt and <c>history</c> record as the archive, such as the URL it was downloaded from; null for <see cref="ArchivePath"/>.</summary>
    public string? Source { get; init; }
    public required string Destination { get; init; }

    /// <summary>Fail before writing when any binary string cannot hold the destination.</summary>
    public bool Strict { get; init; }

    /// <summary>The group every entry gets (a name or a numeric id); null keeps the deploying user's.</summary>
    public string? Group { get; init; }

    /// <summary>Group-readable everywhere, group-writable setgid <c>envs/</c> and <c>pkgs/</c>.</summary>
    public bool Shared { get; init; }

    /// <summary>Keep setuid and setgid bits from the archive, which are dropped by default.</summary>
    public bool PreserveSpecialBits { get; init; }

    /// <summary>Replace a non-empty destination, keeping the old tree for <c>rollback</c>.</summary>
    public bool Replace { get; init; }

    /// <summary>Also replace a directory envship never deployed (no receipt), keeping it for <c>rollback</c>; implies <see cref="Replace"/>.</summary>
    public bool ReplaceForeign { get; init; }

    /// <summary>Deploy even when files need a newer glibc than the host has; they are listed instead of refused.</summary>
    public bool IgnoreGlibc { get; init; }

    /// <summary>Deploy even when the NVIDIA driver supports an older CUDA than the environment needs; a warning says so.</summary>
    public bool IgnoreCuda { get; init; }

    internal bool Replacing => Replace || ReplaceForeign;

    /// <summary>Wait for another deploy or rollback to the same destination instead of failing.</summary>
    public bool Wait { get; init; }

    /// <summary>Public key files of trusted signers; when any is given, the archive's <c>.minisig</c> must verify.</summary>
    public IReadOnlyList<string> VerifyKeys { get; init; } = [];

    /// <summary>Refuse an archive without a good signature from one of <see cref="VerifyKeys"/>.</summary>
    public bool RequireSignature { get; init; }

    /// <summary>Deploy even when DEST's receipt already names this manifest (to repair drift); otherwise such a deploy is a no-op.</summary>
    public bool Redeploy { get; init; }
    public IProgress<DeployProgress>? Progress { get; init; }
}

public sealed record DeployResult(
    string Destination,
    Manifest Manifest,
    string ManifestSha256,
    int FilesRelocated,
    IReadOnlyList<RelocationWarning> Warnings,
    IReadOnlyList<string> AddedFiles,
    string ActivationCommand,
    VerifiedSignature? Signature = null)
{
    /// <summary>Binary strings left unchanged because another constant is stored as their tail.</summary>
    public IReadOnlyList<KeptString> KeptStrings { get; init; } = [];

    /// <summary>What the user should know about a deploy that succeeded: a foreign tree kept aside, files that will not load.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Files that need a newer glibc than this machine has (deployed with <c>--ignore-glibc</c>); they will not load here.</summary>
    public IReadOnlyList<GlibcShortfall> GlibcShortfalls { get; init; } = [];

    /// <summary>The environment's CUDA need against this machine's driver; null when no environment needs CUDA.</summary>
    public CudaCheck? Cuda { get; init; }

    /// <summary>False when DEST already held this manifest and nothing was written; see <see cref="Unchanged"/>.</summary>
    public bool Changed => Unchanged is null;

    /// <summary>What DEST held already, when the deploy was a no-op.</summary>
    public UnchangedDeploy? Unchanged { get; init; }
}

/// <summary>
/// Extracts, verifies and relocates an archive into a staging directory beside the destination,
/// and only when every file checked out renames it into place. A failure leaves the destination as it was.
/// </summary>
public static class Deployer
{
    public static DeployResult Deploy(DeployOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = NormalizePrefix(options.Destination);
        var signature = SignatureGate.Check(options, cancellationToken);
        using var reader = ArchiveDeploySource.Open(options.ArchivePath);
        return Deploy(reader, options, signature, cancellationToken);
    }

    /// <summary>
    /// The one deploy path every source takes (an archive, a registry's layers): the members come from
    /// <paramref name="reader"/>, whose manifest is already validated, and <paramref name="signature"/>
    /// is what the caller's signature gate verified before any member was read.
    /// </summary>
    public static DeployResult Deploy(IDeploySource reader, DeployOptions options, VerifiedSignature? signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var destination = NormalizePrefix(options.Destination);
        // The source has validated the manifest; a second pass over 50k entries only delays the first write.
        var manifest = reader.Manifest;
        var mayBeCurrent = CurrentVersion.MayHold(destination, reader.ManifestSha256, options);
        var plan = mayBeCurrent ? null : Plan(reader, destination, options);

        var layout = new DeployLayout(destination);
        using var deployLock = DeployLock.Acquire(layout, options.Wait, cancellationToken);
        TreeSwitch.Recover(layout);
        StagingDirectory.RemoveLeftovers(layout);
        if (CurrentVersion.Find(destination, manifest, reader.ManifestSha256, options) is { } current)
        {
            return new DeployResult(destination, manifest, current.ManifestSha256, 0, [], [], ActivationCommand(manifest, destination), signature) { Unchanged = current };
        }

        plan ??= Plan(reader, destination, options);
        var warnings = plan.Warnings;
        var replacing = CheckDestinationIsFree(destination, options);
        var foreign = replacing && !HasReceipt(destination);
        var staging = StagingDirectory.Create(destination);
        try
        {
            var target = new RelocationTarget(manifest.SourcePrefix, destination);
            var extractor = new StagingExtractor(staging, reader, target, options.Progress, plan.Policy);
            var hashes = extractor.ExtractAll(cancellationToken);
            var kept = target.Kept.MergeInto(plan.KeptStrings);
            if (options.Strict && kept.Count > plan.KeptStrings.Count)
            {
                // An archive packed before envship recorded shared tails: found only on the bytes, so refused only now, before the rename.
                throw new EnvshipException(
                    ExitCode.RelocationImpossible,
                    $"--strict: {kept.Count - plan.KeptStrings.Count} binary string(s) share their tail with another constant (found while deploying; the archive predates envship's record of them); nothing was written to '{destination}':{Environment.NewLine}"
                    + string.Join(Environment.NewLine, kept.Skip(plan.KeptStrings.Count).Select(k => "  " + k.Describe()))
                    + $"{Environment.NewLine}Pack the environment again to see them before deploying, deploy to '{manifest.SourcePrefix}' itself, or drop --strict to deploy with these strings unchanged.");
            }
            reader.ReadToEnd();
            var digest = reader.ManifestSha256;
            var added = manifest.WholeInstallation ? [] : ActivationScripts.AddIfMissing(staging, destination, Path.GetFileName(destination));
            foreach (var file in added)
            {
                hashes.Set(file, Convert.ToHexStringLower(Sha256.HashData(File.ReadAllBytes(Path.Combine(staging, file)))));
            }

            new Receipt
            {
                EnvshipVersion = EnvshipVersion,
                Destination = destination,
                DeployedAt = DateTimeOffset.UtcNow,
                ArchivePath = options.Source ?? reader.Origin,
                ManifestSha256 = digest,
                ArchiveFormat = reader.Format,
                Files = hashes,
                AddedFiles = added,
                RelocationWarnings = warnings,
                KeptStrings = kept,
                GlibcShortfalls = plan.GlibcShortfalls.Count == 0 ? null : plan.GlibcShortfalls,
                Cuda = plan.Cuda,
                Manifest = plan.Policy.Apply(manifest),
                SignerKeyId = signature?.KeyId,
                GroupId = plan.Policy.ChangesGroup ? plan.Policy.GroupId : null,
            }.Save(staging);
            var records = reader.WriteRecords(staging);
            SharedInstall.Adopt(staging, [.. added, ".envship", Receipt.RelativePath, .. records], plan.Policy);
            TreeSwitch.Prepare(layout, staging, replacing);
            extractor.FinishDirectories();
            cancellationToken.ThrowIfCancellationRequested();
            TreeSwitch.Commit(layout, staging, replacing);
            var notes = plan.Notes.ToList();
            if (foreign)
            {
                notes.Add($"{destination}: DEST was not deployed by envship; it is kept as the previous version at {layout.Previous}; 'envship rollback {destination}' brings it back.");
            }

            return new DeployResult(destination, manifest, digest, extractor.FilesRelocated, warnings, added, ActivationCommand(manifest, destination), signature)
            {
                KeptStrings = kept,
                Notes = notes,
                GlibcShortfalls = plan.GlibcShortfalls,
                Cuda = plan.Cuda,
            };
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            Abandon(layout, staging);
            throw WriteFailure.For(destination, ex);
        }
        catch
        {
            Abandon(layout, staging);
            throw;
        }
    }

    private static DeployPlan Plan(IDeploySource reader, string destination, DeployOptions options)
    {
        _ = CheckDestinationIsFree(destination, options);
        return Preflight.Run(reader.Manifest, reader.Location, destination, options);
    }

    /// <summary>Once the journal exists the staging path may already hold the old tree, so only recovery may touch it.</summary>
    private static void Abandon(DeployLayout layout, string staging)
    {
        TreeSwitch.Recover(layout);
        StagingDirectory.Discard(layout, staging);
    }

    public static string EnvshipVersion { get; } =
        typeof(Deployer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string NormalizePrefix(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    internal static string ActivationCommand(Manifest manifest, string destination) =>
        manifest.WholeInstallation
            ? $". {ActivationScripts.Quote(destination + "/etc/profile.d/conda.sh")} && conda activate"
            : $". {ActivationScripts.Quote(destination + "/bin/activate")}";

    /// <summary>Answers whether an existing tree is being replaced.</summary>
    internal static bool CheckDestinationIsFree(string destination, DeployOptions options)
    {
        RefuseSymlink(destination);
        if (File.Exists(destination))
        {
            throw new EnvshipException(ExitCode.DestinationExists, $"{destination}: a file is in the way. Choose a new or empty directory as --prefix.");
        }

        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            if (!options.Replacing)
            {
                throw new EnvshipException(ExitCode.DestinationExists, $"{destination}: the directory exists and is not empty; envship never deploys over existing files. Pass --replace to swap the new tree in and keep this one for 'envship rollback', or choose a new or empty directory as --prefix.");
            }

            if (!options.ReplaceForeign && !HasReceipt(destination))
            {
                throw new EnvshipException(ExitCode.DestinationExists, $"{destination}: DEST was not deployed by envship (it has no {Receipt.RelativePath}), so --replace does not move it aside; nothing was written. Pass --replace-foreign to deploy anyway and keep this directory as the previous version for 'envship rollback', or choose a new or empty directory as --prefix.");
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// The switch renames a directory to DEST's own name, which never follows a symlink there: a plain rename
    /// fails with ENOTDIR, and an exchange would swap the link itself out instead of the tree it points to.
    /// </summary>
    internal static void RefuseSymlink(string destination)
    {
        var info = new FileInfo(destination);
        if (info.LinkTarget is not { } target)
        {
            return;
        }

        var resolved = Path.GetFullPath(target, Path.GetDirectoryName(destination)!);
        var what = Directory.Exists(resolved) ? "a directory" : File.Exists(resolved) ? "a file" : "nothing (the link dangles)";
        throw new EnvshipException(
            ExitCode.Usage,
            $"{destination}: DEST is a symlink to '{target}', which is {what}; envship puts a tree in place by renaming a directory to DEST's own name, which never goes through a symlink, so nothing was written. Pass --prefix {NormalizePrefix(resolved)} to deploy at the resolved path, or remove the symlink (rm {destination}) and deploy again.");
    }

    private static bool HasReceipt(string destination) => File.Exists(Path.Combine(destination, Receipt.RelativePath));
}
