using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Exports;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Archive;

/// <summary>
/// Pack: survey the environments, refuse what cannot travel, inventory every file, then write the
/// manifest and the members to a temporary file beside the output and rename it into place.
/// </summary>
public static class EnvironmentPacker
{
    public static PackResult Pack(PackOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = Deployer.NormalizePrefix(options.Prefix);
        if (!Directory.Exists(Path.Combine(prefix, CondaMeta.DirectoryName)))
        {
            throw new EnvshipException(ExitCode.InvalidEnvironment, $"{prefix}: no conda-meta/ directory, so this is not a conda environment. Pass the environment's prefix with -p, or its name with -n.");
        }

        var layout = InstallationLayout.Detect(prefix);
        var environments = EnvironmentSurvey.Survey(prefix, layout);
        var warnings = new List<string>();
        CheckEditable(environments, options, warnings);

        var output = OutputPath(options, prefix);
        OutputFile.ClaimOrThrow(output, options.Force);
        var scan = PackScan.Options(prefix, layout, environments, options.KeepPackageCache) with
        {
            Filter = new PathFilter(options.Excludes, options.Includes),
            Jobs = options.Jobs,
            Progress = options.Progress is null ? null : new SynchronousProgress<ScanProgress>(p => options.Progress.Report(new PackProgress(PackPhase.Scanning, p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal))),
        };
        var plan = PrefixInventory.Plan(scan, cancellationToken);
        CheckMissing(EnvironmentSurvey.FindMissingFiles(prefix, environments, plan.Items), options, warnings);
        if (SinglePassPack.Supports(options.Format) && !RelocatesAtPackTime(options, prefix))
        {
            warnings.AddRange(plan.Warnings);
            var root = plan.Root;
            var exports = StartExports(options, prefix, layout, environments, root, plan.Items);

            // The writer takes the plan and drops it as it goes; nothing else may keep it alive.
            var (packed, size) = ArchiveOutput.WriteSinglePass(
                output,
                options,
                writer => SinglePassPack.WriteMembers(writer, Interlocked.Exchange(ref plan, null)!, scan, options.Jobs, options.Progress, warnings, cancellationToken),
                items => Describe(options, prefix, prefix, layout, environments, root, items, warnings, exports.GetAwaiter().GetResult()));
            return new PackResult(output, packed, size, warnings);
        }

        var inventory = PrefixInventory.Analyze(scan, Interlocked.Exchange(ref plan, null)!, cancellationToken);
        warnings.AddRange(inventory.Warnings);

        using var spool = new SpoolDirectory(output);
        var items = inventory.Items;
        var sourcePrefix = prefix;
        if (RelocatesAtPackTime(options, prefix))
        {
            sourcePrefix = Deployer.NormalizePrefix(options.DestinationPrefix!);
            items = PackTimeRelocation.Apply(items, prefix, sourcePrefix, scan.Placeholders, spool.Path, warnings);
        }

        var (manifest, embedded) = Describe(options, prefix, sourcePrefix, layout, environments, inventory.Root, items, warnings);
        var written = ArchiveOutput.Write(output, options, manifest, embedded, items, cancellationToken);
        return new PackResult(output, manifest, written, warnings);
    }

    private static bool RelocatesAtPackTime(PackOptions options, string prefix) =>
        options.DestinationPrefix is { } requested && Deployer.NormalizePrefix(requested) != prefix;

    /// <summary>
    /// The embedded exports need package records, file sizes and the creation time, all known from
    /// the walk (only rewritten conda-meta records change size, and they belong to no package), so
    /// they are built while the files are archived instead of after.
    /// </summary>
    private static Task<IReadOnlyList<(string Name, byte[] Content)>> StartExports(
        PackOptions options, string prefix, InstallationLayout layout, IReadOnlyList<SurveyedEnvironment> environments, ManifestRoot root, IReadOnlyList<InventoryItem> planned) =>
        Task.Run(() => EmbeddedExports.Build(ManifestBuilder.Build(options, prefix, prefix, layout, environments, root, planned, []), prefix, environments));

    private static (Manifest Manifest, IReadOnlyList<(string Name, byte[] Content)> Metadata) Describe(
        PackOptions options,
        string prefix,
        string sourcePrefix,
        InstallationLayout layout,
        IReadOnlyList<SurveyedEnvironment> environments,
        ManifestRoot root,
        IReadOnlyList<InventoryItem> items,
        List<string> warnings,
        IReadOnlyList<(string Name, byte[] Content)>? embedded = null)
    {
        var manifest = ManifestBuilder.Build(options, prefix, sourcePrefix, layout, environments, root, items, warnings);
        embedded ??= EmbeddedExports.Build(manifest, prefix, environments);
        return (manifest with { Metadata = EmbeddedExports.Describe(embedded) }, embedded);
    }

    private static void CheckEditable(IReadOnlyList<SurveyedEnvironment> environments, PackOptions options, List<string> warnings)
    {
        var editable = environments.SelectMany(e => e.EditableInstalls.Select(i => (e, i))).ToList();
        if (editable.Count == 0)
        {
            return;
        }

        var lines = editable.Select(x => $"  {x.i.PackageName} ({EnvironmentSurvey.Join(x.e.RelativePath, x.i.Evidence)} points to {x.i.PointsTo})").Distinct().ToList();
        if (!options.IgnoreEditablePackages)
        {
            throw new EnvshipException(
                ExitCode.InvalidEnvironment,
                $"{options.Prefix}: editable installs point outside the environment and would not exist on the target:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}"
                + "Install them normally (pip install . without -e), or pass --ignore-editable-packages to pack without them.");
        }

        warnings.AddRange(lines.Select(l => $"editable install left pointing outside the environment:{l}"));
    }

    private static void CheckMissing(IReadOnlyList<string> missing, PackOptions options, List<string> warnings)
    {
        if (missing.Count == 0)
        {
            return;
        }

        var shown = string.Join(Environment.NewLine, missing.Take(20).Select(m => "  " + m));
        var more = missing.Count > 20 ? $"{Environment.NewLine}  ... and {missing.Count - 20} more" : "";
        if (!options.IgnoreMissingFiles)
        {
            throw new EnvshipException(
                ExitCode.InvalidEnvironment,
                $"{options.Prefix}: {missing.Count} file(s) listed in conda-meta are missing:{Environment.NewLine}{shown}{more}{Environment.NewLine}"
                + "Repair the environment (conda install --force-reinstall PACKAGE), or pass --ignore-missing-files to pack it as it is.");
        }

        warnings.Add($"{missing.Count} file(s) listed in conda-meta are missing and were skipped (--ignore-missing-files).");
    }

    private static string OutputPath(PackOptions options, string prefix) =>
        Path.GetFullPath(options.Output ?? Path.GetFileName(prefix) + ArchiveFormats.Extension(options.Format));
}
