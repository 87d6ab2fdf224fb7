using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Envship.Cli.Parsing;
using Envship.Cli.Rendering;
using Envship.Core.Archive;
using Envship.Core.Conda;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;

namespace Envship.Cli.Commands;

internal static class PackCommand
{
    private const int MaxThreads = 1024;

    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var prefix = new Option<string?>("--prefix", "-p") { Description = "Full path to the environment (default: $CONDA_PREFIX)." };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the environment; 'base' is the root install." };
        var output = new Option<string?>("--output", "-o") { Description = "Output path; its name sets the format: .tar.zst or .tzst, .tar.gz or .tgz, .tar, or .run for a self-extracting installer (default: <env name>.tar.zst in the current directory)." };
        var format = new Option<string?>("--format") { Description = $"{ArchiveFormats.Choices}, or run: a self-extracting installer NAME.run (default: from the -o name, else tar.zst)." };
        var level = IntegerOption.Create("--compress-level", null, "Compression level (zstd 1-19, default 3; gzip 1-9, default 6).");
        var jobs = IntegerOption.Create(
            "--n-threads",
            "-j",
            $"Threads for hashing, scanning and compression, 1 to {MaxThreads}, or -1 for all cores (default: all cores).",
            value => value is -1 or (>= 1 and <= MaxThreads) ? null : $"1 to {MaxThreads} threads, or -1 for all cores");
        var exclude = new Option<string[]>("--exclude") { Description = "Leave out files matching this fnmatch pattern (repeatable)." };
        var include = new Option<string[]>("--include") { Description = "Put back excluded files matching this pattern (repeatable)." };
        var keepPkgs = new Option<bool>("--keep-pkgs") { Description = "Also pack the package cache pkgs/ of a whole installation." };
        var arcroot = new Option<string>("--arcroot") { Description = "Directory inside the archive that holds everything.", DefaultValueFactory = _ => "" };
        var destPrefix = new Option<string?>("--dest-prefix", "-d") { Description = "Relocate at pack time to this prefix; deploying there needs no rewriting." };
        var ignoreEditable = new Option<bool>("--ignore-editable-packages") { Description = "Pack even when editable (develop) installs point outside the environment." };
        var ignoreMissing = new Option<bool>("--ignore-missing-files") { Description = "Pack even when files listed in conda-meta are missing." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output if it exists." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary." };
        var sign = new Option<string?>("--sign") { Description = "Sign the archive with this minisign secret key into ARCHIVE.minisig (with --format run: the archive inside, and the whole NAME.run into NAME.run.minisig)." };
        var installer = new InstallerCliOptions();

        var command = new Command("pack", "Pack a conda environment, or a whole Miniconda/Anaconda installation with its envs/, into one archive.")
        {
            prefix, name, output, format, level, jobs, exclude, include, keepPkgs, arcroot, destPrefix, ignoreEditable, ignoreMissing, force, quiet, json, sign,
        };
        installer.AddTo(command);
        // Checked while parsing, so a bad name or level is a usage error before any file is read.
        command.Validators.Add(result =>
        {
            try
            {
                var run = InstallerPack.Requested(result.GetValue(output), result.GetValue(format));
                ArchiveFormats.CheckLevel(run ? ArchiveFormat.TarZst : ArchiveFormats.Choose(result.GetValue(output), result.GetValue(format)), result.GetValue(level));
                if (!run && (result.GetValue(installer.Target) is not null || result.GetValue(installer.EnvshipBinary) is not null))
                {
                    result.AddError($"--target and {Core.Pack.InstallerBinary.Flag} choose the binary of an installer; add --format run (or -o NAME.run), or drop them.");
                }
            }
            catch (EnvshipException e)
            {
                result.AddError(e.Message);
            }
            catch (InvalidOperationException)
            {
                // A value that did not parse has its own error already; there is nothing to check it against.
            }
        });
        command.SetAction(parse =>
        {
            try
            {
                var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
                var run = InstallerPack.Requested(parse.GetValue(output), parse.GetValue(format));
                var resolved = PrefixResolver.Resolve(parse.GetValue(prefix), parse.GetValue(name), environment, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
                var options = new PackOptions
                {
                    Prefix = resolved,
                    Output = parse.GetValue(output),
                    Format = run ? ArchiveFormat.TarZst : ArchiveFormats.Choose(parse.GetValue(output), parse.GetValue(format)),
                    CompressionLevel = parse.GetValue(level),
                    Jobs = parse.GetValue(jobs) is { } threads and not -1 ? threads : Environment.ProcessorCount,
                    Excludes = parse.GetValue(exclude) ?? [],
                    Includes = parse.GetValue(include) ?? [],
                    KeepPackageCache = parse.GetValue(keepPkgs),
                    ArchiveRoot = parse.GetValue(arcroot) ?? "",
                    DestinationPrefix = parse.GetValue(destPrefix),
                    IgnoreEditablePackages = parse.GetValue(ignoreEditable),
                    IgnoreMissingFiles = parse.GetValue(ignoreMissing),
                    Force = parse.GetValue(force),
                    Created = SourceDateEpoch(),
                };
                var silent = parse.GetValue(quiet) || parse.GetValue(json);
                var signingKey = PackSigning.Prepare(console, parse.GetValue(sign), options.Format);
                var binary = run ? installer.Resolve(parse) : default;
                var clock = Stopwatch.StartNew();
                PackResult Packed(PackOptions packOptions) => ProgressDisplay.Run(console, silent, progress => EnvironmentPacker.Pack(
                    packOptions with
                    {
                        Progress = progress is null ? null : new SynchronousProgress<PackProgress>(p => progress.Report(new ProgressTick(p.Phase == PackPhase.Scanning ? "scanning" : "writing", p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal))),
                    },
                    cancellationToken));
                PackResult result;
                if (run)
                {
                    result = InstallerPack.Pack(console, options, binary, signingKey, Packed, parse.GetValue(quiet), parse.GetValue(json), cancellationToken);
                }
                else
                {
                    result = Packed(options);
                    PackSigning.Sign(console, signingKey, result, silent, cancellationToken);
                }

                Report(console, result, clock.Elapsed, parse.GetValue(quiet), parse.GetValue(json));
                return 0;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }

    private static void Report(CliConsole console, PackResult result, TimeSpan elapsed, bool quiet, bool json)
    {
        var m = result.Manifest;
        if (json)
        {
            console.Json(
                new PackSummary(
                    result.OutputPath,
                    result.ArchiveBytes,
                    m.SourcePrefix,
                    m.Platform.Subdir,
                    m.WholeInstallation,
                    [.. m.Environments.Select(e => new EnvironmentSummary(e.Path, e.Name, e.PythonVersion, e.CondaPackages.Count, e.PipDistributions.Count))],
                    m.Summary,
                    result.Warnings,
                    Math.Round(elapsed.TotalSeconds, 3)),
                CliJsonContext.Default.PackSummary);
            return;
        }

        foreach (var warning in result.Warnings)
        {
            console.Warning(warning);
        }

        if (!quiet)
        {
            var environments = string.Join(", ", m.Environments.Select(e => e.Path.Length == 0 ? e.Name : e.Path));
            console.Line(
                $"Packed {m.Summary.Files} files ({ProgressDisplay.Bytes(m.Summary.TotalBytes)}) from {m.SourcePrefix} [{environments}] "
                + $"into {result.OutputPath} ({ProgressDisplay.Bytes(result.ArchiveBytes)}) in {elapsed.TotalSeconds:0.0} s.");
        }
    }

    private static DateTimeOffset? SourceDateEpoch() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}
