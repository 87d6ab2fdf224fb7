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
        var output = OutputPath(options, prefix);
        var warnings = new List<string>();
        return SinglePassPack.Supports(options.Format) && !RelocatesAtPackTime(options, prefix)
            ? PackInOnePass(options, prefix, layout, output, warnings, cancellationToken)
            : PackAfterScan(options, prefix, layout, output, warnings, cancellationToken);
    }

    private static PackResult PackInOnePass(PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var walked = Walk(options, prefix, layout, output, warnings, cancellationToken);
        var (described, root, exports) = (walked.Described, walked.Plan!.Root, walked.Exports);
        var tally = new ManifestTally();

        // The head's room is sized from the planned items before the writer clears the first of them;
        // this shares the writer's array, not the items, so what the writer drops is still freed.
        var items = walked.Plan!.Items;
        var level = options.CompressionLevel ?? ArchiveFormats.DefaultLevel(options.Format);

        // The writer takes the plan and drops its items as it goes; nothing else may keep them alive.
        var (packed, size) = ArchiveOutput.WriteSinglePass(
            output,
            options,
            () => HeadReserve.Total(HeadReserve.EstimateEntries(items, level), exports.GetAwaiter().GetResult()),
            (openWriter, entries) => SinglePassPack.WriteMembers(openWriter, Interlocked.Exchange(ref walked.Plan, null)!, walked.Scan, options.Jobs, options.Progress, warnings, entries, tally, cancellationToken),
            () =>
            {
                var manifest = ManifestBuilder.Build(options, prefix, prefix, layout, described, root, tally, [], warnings);
                var embedded = exports.GetAwaiter().GetResult();
                return (manifest with { Metadata = EmbeddedExports.Describe(embedded) }, embedded);
            });
        return new PackResult(output, packed, size, warnings);
    }

    /// <summary>
    /// Surveys, checks and walks the prefix, and starts the exports. Sizes of package files are known
    /// from the walk (only rewritten conda-meta records change size, and they belong to no package),
    /// so the environments are described here: the survey, with every file path of every record,
    /// lives in this frame and the exports task only, not for the rest of the pack.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WalkedPrefix Walk(PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var (environments, scan, plan) = Prepare(options, prefix, layout, output, warnings, cancellationToken);
        warnings.AddRange(plan.Warnings);
        var described = ManifestBuilder.DescribeEnvironments(environments, plan.Items);
        var planned = ManifestBuilder.Build(options, prefix, prefix, layout, described, plan.Root, plan.Items, []);
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return new WalkedPrefix(scan, described, Task.Run(new ExportsJob(planned, prefix, environments).Run)) { Plan = plan };
    }

    private static PackResult PackAfterScan(PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var (environments, scan, plan) = Prepare(options, prefix, layout, output, warnings, cancellationToken);
        var inventory = PrefixInventory.Analyze(scan, plan, cancellationToken);
        warnings.AddRange(inventory.Warnings);

        using var spool = new SpoolDirectory(output);
        var items = inventory.Items;
        var sourcePrefix = prefix;
        if (RelocatesAtPackTime(options, prefix))
        {
            sourcePrefix = Deployer.NormalizePrefix(options.DestinationPrefix!);
            items = PackTimeRelocation.Apply(items, prefix, sourcePrefix, scan.Placeholders, spool.Path, warnings);
        }

        var (manifest, embedded) = Describe(options, prefix, sourcePrefix, layout, ManifestBuilder.DescribeEnvironments(environments, items), inventory.Root, items, warnings, environments);
        var written = ArchiveOutput.Write(output, options, manifest, embedded, items, cancellationToken);
        return new PackResult(output, manifest, written, warnings);
    }

    /// <summary>Surveys the environments, refuses what cannot travel, claims the output and walks the prefix.</summary>
    private static (IReadOnlyList<SurveyedEnvironment> Environments, ScanOptions Scan, PlannedInventory Plan) Prepare(
        PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var environments = EnvironmentSurvey.Survey(prefix, layout);
        CheckEditable(environments, options, warnings);
        OutputFile.ClaimOrThrow(output, options.Force);
        var scan = PackScan.Options(prefix, layout, environments, options.KeepPackageCache) with
        {
            Filter = new PathFilter(options.Excludes, options.Includes),
            Jobs = options.Jobs,
            Progress = options.Progress is null ? null : new SynchronousProgress<ScanProgress>(p => options.Progress.Report(new PackProgress(PackPhase.Scanning, p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal))),
        };
        var plan = PrefixInventory.Plan(scan, cancellationToken);
        CheckMissing(EnvironmentSurvey.FindMissingFiles(prefix, environments, plan.Items), options, warnings);
        return (environments, scan, plan);
    }

    private static bool RelocatesAtPackTime(PackOptions options, string prefix) =>
        options.DestinationPrefix is { } requested && Deployer.NormalizePrefix(requested) != prefix;

    /// <summary>A walked prefix on its way into a single-pass pack; the exports are built meanwhile.</summary>
    private sealed record WalkedPrefix(ScanOptions Scan, IReadOnlyList<ManifestEnvironment> Described, Task<IReadOnlyList<(string Name, byte[] Content)>> Exports)
    {
        /// <summary>Taken (and cleared) by the writer, which replaces its items as it goes.</summary>
        public PlannedInventory? Plan;
    }

    /// <summary>
    /// Lets go of the planned manifest and the survey once the exports are built: the task that ran
    /// it stays referenced until the pack ends, and a closure would keep 200,000 planned entries and
    /// every record's file list alive with it.
    /// </summary>
    private sealed class ExportsJob(Manifest planned, string prefix, IReadOnlyList<SurveyedEnvironment> environments)
    {
        private Manifest? _planned = planned;
        private IReadOnlyList<SurveyedEnvironment>? _environments = environments;

        public IReadOnlyList<(string Name, byte[] Content)> Run()
        {
            var built = EmbeddedExports.Build(_planned!, prefix, _environments!);
            _planned = null;
            _environments = null;
            return built;
        }
    }

    private static (Manifest Manifest, IReadOnlyList<(string Name, byte[] Content)> Metadata) Describe(
        PackOptions options,
        string prefix,
        string sourcePrefix,
        InstallationLayout layout,
        IReadOnlyList<ManifestEnvironment> described,
        ManifestRoot root,
        IReadOnlyList<InventoryItem> items,
        List<string> warnings,
        IReadOnlyList<SurveyedEnvironment> environments)
    {
        var manifest = ManifestBuilder.Build(options, prefix, sourcePrefix, layout, described, root, items, warnings);
        var embedded = EmbeddedExports.Build(manifest, prefix, environments);
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
