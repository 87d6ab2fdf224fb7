using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Deploy;
using Envship.Core.Exports;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Core.Scanning;

namespace Envship.Core.Pack;

/// <summary>
/// Pack: survey the environments, refuse what cannot travel, inventory every file, then write the
/// manifest and the members to a temporary file beside the output and rename it into place.
/// </summary>
public static class EnvironmentPacker
{
    public static PackResult Pack(PackOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArchiveFormats.CheckLevel(options.Format, options.CompressionLevel);
        if (options.Jobs < 1)
        {
            throw new EnvshipException(ExitCode.Usage, $"--n-threads: expected at least 1 thread; got {options.Jobs}.");
        }

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
        var (description, root) = (walked.Description, walked.Plan!.Root);
        var tally = new ManifestTally();

        // The head's room is sized from the planned items before the writer clears the first of them;
        // this shares the writer's array, not the items, so what the writer drops is still freed.
        var items = walked.Plan!.Items;
        var level = options.CompressionLevel ?? ArchiveFormats.DefaultLevel(options.Format);

        // The writer takes the plan and drops its items as it goes; nothing else may keep them alive.
        var (packed, size) = ArchiveOutput.WriteSinglePass(
            output,
            options,
            () => HeadReserve.Total(HeadReserve.EstimateEntries(items, level), description.GetAwaiter().GetResult().Exports),
            (openWriter, entries) => SinglePassPack.WriteMembers(openWriter, Interlocked.Exchange(ref walked.Plan, null)!, walked.Scan, options.Jobs, options.Progress, warnings, entries, tally, cancellationToken),
            () =>
            {
                var (described, embedded) = description.GetAwaiter().GetResult();
                var manifest = ManifestBuilder.Build(options, prefix, prefix, layout, described, root, tally, [], warnings);
                return (manifest with { Metadata = EmbeddedExports.Describe(embedded) }, embedded);
            });
        return new PackResult(output, packed, size, warnings);
    }

    /// <summary>
    /// Surveys, checks and walks the prefix, and starts describing it on another thread: the
    /// environments (sizes of package files are known from the walk; only rewritten conda-meta
    /// records change size, and they belong to no package) and the exports. The members are
    /// written meanwhile. The survey, with every file path of every record, and the planned
    /// entries by path live in that task only, not for the rest of the pack.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WalkedPrefix Walk(PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var (environments, scan, plan, byPath) = Prepare(options, prefix, layout, output, warnings, cancellationToken);
        warnings.AddRange(plan.Warnings);
        var created = options.Created ?? ManifestTally.NewestMtime(plan.Root, byPath.Values);
        var job = new DescriptionJob(prefix, EnvironmentPlatform.Of(environments.SelectMany(e => e.Records).Select(r => r.Subdir)).CondaSubdir, created, byPath, environments);
        return new WalkedPrefix(scan, Task.Run(job.Run)) { Plan = plan };
    }

    private static PackResult PackAfterScan(PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var (environments, scan, plan, _) = Prepare(options, prefix, layout, output, warnings, cancellationToken);
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

    /// <summary>
    /// Surveys the environments while the prefix is walked (the walk needs nothing the survey finds),
    /// refuses what cannot travel, claims the output, and checks conda-meta against the walk.
    /// </summary>
    private static (IReadOnlyList<SurveyedEnvironment> Environments, ScanOptions Scan, PlannedInventory Plan, Dictionary<string, ManifestEntry> ByPath) Prepare(
        PackOptions options, string prefix, InstallationLayout layout, string output, List<string> warnings, CancellationToken cancellationToken)
    {
        var surveying = Task.Run(() => EnvironmentSurvey.Survey(prefix, layout), cancellationToken);
        PlannedInventory plan;
        try
        {
            plan = PrefixInventory.Plan(ScanOptions(options, prefix, layout, []), cancellationToken);
        }
        catch (Exception walkFailure) when (walkFailure is not OperationCanceledException)
        {
            // The survey's refusal (a broken conda-meta record) is what a pack without the overlap reported first.
            surveying.GetAwaiter().GetResult();
            throw;
        }

        var environments = surveying.GetAwaiter().GetResult();
        CheckEditable(environments, options, warnings);
        OutputFile.ClaimOrThrow(output, options.Force);
        var byPath = new Dictionary<string, ManifestEntry>(plan.Items.Length, StringComparer.Ordinal);
        foreach (var item in plan.Items)
        {
            byPath[item.Entry.Path] = item.Entry;
        }

        CheckMissing(EnvironmentSurvey.FindMissingFiles(prefix, environments, byPath.ContainsKey), options, warnings);
        return (environments, ScanOptions(options, prefix, layout, environments), plan, byPath);
    }

    private static ScanOptions ScanOptions(PackOptions options, string prefix, InstallationLayout layout, IReadOnlyList<SurveyedEnvironment> environments) =>
        PackScan.Options(prefix, layout, environments, options.KeepPackageCache) with
        {
            Filter = new PathFilter(options.Excludes, options.Includes),
            Jobs = options.Jobs,
            Progress = options.Progress is null ? null : new SynchronousProgress<ScanProgress>(p => options.Progress.Report(new PackProgress(PackPhase.Scanning, p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal))),
        };

    private static bool RelocatesAtPackTime(PackOptions options, string prefix) =>
        options.DestinationPrefix is { } requested && Deployer.NormalizePrefix(requested) != prefix;

    /// <summary>A walked prefix on its way into a single-pass pack; its description is built meanwhile.</summary>
    private sealed record WalkedPrefix(ScanOptions Scan, Task<(IReadOnlyList<ManifestEnvironment> Described, IReadOnlyList<(string Name, byte[] Content)> Exports)> Description)
    {
        /// <summary>Taken (and cleared) by the writer, which replaces its items as it goes.</summary>
        public PlannedInventory? Plan;
    }

    /// <summary>
    /// Describes the environments and builds the exports from the planned entries, then lets go of
    /// them and of the survey: the task that ran it stays referenced until the pack ends, and a
    /// closure would keep 200,000 planned entries and every record's file list alive with it.
    /// </summary>
    private sealed class DescriptionJob(string prefix, string subdir, DateTimeOffset created, Dictionary<string, ManifestEntry> byPath, IReadOnlyList<SurveyedEnvironment> environments)
    {
        private Dictionary<string, ManifestEntry>? _byPath = byPath;
        private IReadOnlyList<SurveyedEnvironment>? _environments = environments;

        public (IReadOnlyList<ManifestEnvironment> Described, IReadOnlyList<(string Name, byte[] Content)> Exports) Run()
        {
            var described = ManifestBuilder.DescribeEnvironments(_environments!, _byPath!);
            var exports = EmbeddedExports.Build(prefix, subdir, created, _byPath!, prefix, _environments!);
            _byPath = null;
            _environments = null;
            return (described, exports);
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
        var manifest = ManifestBuilder.Build(options, prefix, sourcePrefix, layout, described, root, ManifestTally.Of(items), [.. items.Select(i => i.Entry)], warnings);
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

    private static void CheckMissing(IReadOnlyList<string> listed, PackOptions options, List<string> warnings)
    {
        // Python writes bytecode caches again on first import, so their absence costs nothing on the target.
        var bytecode = listed.Where(EnvironmentSurvey.IsBytecodeCache).ToList();
        if (bytecode.Count > 0)
        {
            var examples = string.Join(", ", bytecode.Take(3));
            warnings.Add($"{bytecode.Count} Python bytecode cache file(s) listed in conda-meta are missing (for example {examples}); Python writes them again on first import, so they were skipped.");
        }

        var missing = bytecode.Count == 0 ? listed : [.. listed.Where(m => !EnvironmentSurvey.IsBytecodeCache(m))];
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
