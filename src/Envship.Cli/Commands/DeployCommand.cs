using System.CommandLine;
using System.Diagnostics;
using Envship.Cli.Rendering;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core;

namespace Envship.Cli.Commands;

internal static class DeployCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var archive = new Argument<string>("ARCHIVE") { Description = "An archive made by 'envship pack' (tar.zst, tar.gz, tar, or a dir), an installer NAME.run, an https:// URL of one (its signature is URL.minisig), or oci://HOST[:PORT]/REPO:TAG|@sha256:… or oci-layout:DIR[:TAG]." };
        var prefix = new Option<string>("--prefix", "-p") { Description = "Where the environment goes; must be new or empty unless --replace.", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Swap the new tree in over an existing one, keeping the old one for 'envship rollback'." };
        var replaceForeign = new Option<bool>("--replace-foreign") { Description = "Like --replace, also over a directory envship did not deploy (no .envship/receipt.json); it is kept for 'envship rollback'." };
        var ignoreGlibc = new Option<bool>("--ignore-glibc") { Description = "Deploy even when files need a newer glibc than this machine has, and list the files that will not load." };
        var ignoreCuda = new Option<bool>("--ignore-cuda") { Description = "Deploy even when the NVIDIA driver supports an older CUDA than the environment needs, with a warning." };
        var wait = new Option<bool>("--wait") { Description = "Wait for another deploy or rollback to the same prefix instead of failing." };
        var strict = new Option<bool>("--strict") { Description = "Fail before writing when a binary string cannot hold the destination path." };
        var group = new Option<string?>("--group") { Description = "Give every entry this group (a name or a numeric id), as it is created." };
        var shared = new Option<bool>("--shared") { Description = "Group-readable everywhere; envs/ and pkgs/ group-writable with setgid, for a shared install." };
        var preserveSpecial = new Option<bool>("--preserve-special-bits") { Description = "Keep setuid, setgid and sticky bits and o+w from the archive (dropped by default)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Run every check and verify every member, print the plan, write nothing." };
        var verifyKey = new Option<string[]>("--verify-key") { Description = "Public key file of a trusted signer (repeatable); the archive's .minisig must verify before anything is written." };
        var requireSignature = new Option<bool>("--require-signature") { Description = $"Refuse an archive without a good signature from a --verify-key (also set by {SignatureGate.RequireEnvironmentVariable}=1)." };
        var redeploy = new Option<bool>("--redeploy") { Description = "Deploy even when DEST already holds this archive's manifest (to repair drift that 'envship verify' found); needs --replace like any deploy over DEST." };
        var caFile = new Option<string?>("--ca-file") { Description = "For an https:// or oci:// ARCHIVE: a PEM file of CA certificates trusted besides the system's (a private CA)." };
        var insecure = new Option<bool>("--insecure") { Description = "For an http(s):// or oci:// ARCHIVE: allow plain http:// to a host that is not loopback." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress; print only the activation line." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable result." };
        var command = new Command("deploy", "Extract, verify and relocate an archive at any path.") { archive, prefix, replace, replaceForeign, wait, strict, ignoreGlibc, ignoreCuda, verifyKey, requireSignature, redeploy, group, shared, preserveSpecial, caFile, insecure, dryRun, quiet, json };
        var registry = new RegistryDeploy();
        registry.AddTo(command);
        command.Aliases.Add("unpack");
        command.SetAction(parse =>
        {
            try
            {
                var clock = Stopwatch.StartNew();
                var silent = parse.GetValue(quiet) || parse.GetValue(json);
                var archiveText = parse.GetValue(archive)!;
                var remote = new Core.Registry.Transport.RemoteOptions { CaFile = parse.GetValue(caFile), Insecure = parse.GetValue(insecure) };
                var source = new DeploySource(archiveText, remote);
                var fromRegistry = RegistryDeploy.Handles(archiveText);
                TransferSummary? transfer = null;
                DeployOptions Options(IProgress<ProgressTick>? progress, string stage) => new()
                {
                    ArchivePath = parse.GetValue(archive)!,
                    Destination = parse.GetValue(prefix)!,
                    Strict = parse.GetValue(strict),
                    Group = parse.GetValue(group),
                    Shared = parse.GetValue(shared),
                    PreserveSpecialBits = parse.GetValue(preserveSpecial),
                    Replace = parse.GetValue(replace),
                    ReplaceForeign = parse.GetValue(replaceForeign),
                    IgnoreGlibc = parse.GetValue(ignoreGlibc),
                    IgnoreCuda = parse.GetValue(ignoreCuda),
                    Wait = parse.GetValue(wait),
                    VerifyKeys = parse.GetValue(verifyKey) ?? [],
                    Redeploy = parse.GetValue(redeploy),
                    RequireSignature = parse.GetValue(requireSignature) || SignatureGate.RequiredByEnvironment(Environment.GetEnvironmentVariable(SignatureGate.RequireEnvironmentVariable)),
                    Progress = progress is null ? null : new SynchronousProgress<DeployProgress>(p => progress.Report(new ProgressTick(stage, p.FilesDone, p.FilesTotal, p.BytesDone, p.BytesTotal))),
                };
                if (parse.GetValue(dryRun))
                {
                    var plan = ProgressDisplay.Run(console, silent, progress =>
                    {
                        if (!fromRegistry)
                        {
                            return source.DryRun(Options(progress, "verifying"), progress, cancellationToken);
                        }

                        var stage = "verifying";
                        DryRunResult result;
                        (result, transfer) = registry.DryRun(parse, archiveText, remote, Options(progress is null ? null : new SynchronousProgress<ProgressTick>(t => progress.Report(t with { Phase = stage })), stage), s => stage = s, cancellationToken);
                        return result;
                    });
                    if (parse.GetValue(json) && plan.Unchanged is { } same)
                    {
                        console.Json(new UnchangedDryRunSummary(true, false, same.Destination, same.ManifestSha256, same.DeployedAt, same.ArchivePath), CliJsonContext.Default.UnchangedDryRunSummary);
                        return 0;
                    }

                    if (parse.GetValue(json))
                    {
                        console.Json(DryRunSummary.From(plan) with { Transfer = transfer }, CliJsonContext.Default.DryRunSummary);
                        return 0;
                    }

                    if (transfer is not null)
                    {
                        console.Error($"envship: {transfer.Source} {transfer.ManifestDigest}: {transfer.Describe()}.");
                    }

                    foreach (var line in PlanRenderer.Render(plan))
                    {
                        console.Line(line);
                    }

                    return 0;
                }

                var result = ProgressDisplay.Run(console, silent, progress =>
                {
                    if (!fromRegistry)
                    {
                        return source.Deploy(Options(progress, "deploying"), progress, cancellationToken);
                    }

                    var stage = "deploying";
                    DeployResult deployed;
                    (deployed, transfer) = registry.Deploy(parse, archiveText, remote, Options(progress is null ? null : new SynchronousProgress<ProgressTick>(t => progress.Report(t with { Phase = stage })), stage), s => stage = s, cancellationToken);
                    return deployed;
                });
                if (parse.GetValue(json))
                {
                    console.Json(
                        new DeploySummary(result.Destination, result.ManifestSha256, result.Manifest.SourcePrefix, result.FilesRelocated, result.Warnings, result.AddedFiles, result.ActivationCommand, Math.Round(clock.Elapsed.TotalSeconds, 3), result.Signature?.KeyId, result.Signature?.TrustedComment)
                        {
                            KeptStrings = result.KeptStrings,
                            Notes = result.Notes,
                            GlibcShortfalls = result.GlibcShortfalls,
                            Cuda = result.Cuda,
                            Changed = result.Changed,
                            DeployedAt = result.Unchanged?.DeployedAt,
                            Transfer = transfer,
                            Download = source.Download,
                        },
                        CliJsonContext.Default.DeploySummary);
                    return 0;
                }

                if (!parse.GetValue(quiet) && source.Describe() is { } fetched)
                {
                    console.Error(fetched);
                }

                if (result.Unchanged is { } unchanged)
                {
                    console.Line(parse.GetValue(quiet) ? result.ActivationCommand : PlanRenderer.Unchanged(unchanged));
                    if (!parse.GetValue(quiet))
                    {
                        console.Line($"To activate:  {result.ActivationCommand}");
                    }

                    return 0;
                }

                foreach (var warning in result.Warnings)
                {
                    console.Warning(warning.Describe(result.Destination));
                }

                foreach (var kept in result.KeptStrings)
                {
                    console.Warning(kept.Describe());
                }

                foreach (var shortfall in result.GlibcShortfalls)
                {
                    console.Warning(shortfall.Describe());
                }

                foreach (var note in result.Notes)
                {
                    console.Warning(note);
                }

                if (!parse.GetValue(quiet))
                {
                    foreach (var link in ArchivePaths.SymlinksLeavingPrefix(result.Manifest))
                    {
                        console.Warning($"{link.Path}: symlink to '{link.Target}' leaves the environment; it was created as a link only, and nothing was written through it.");
                    }

                    if (result.Signature is { } signature)
                    {
                        console.Error($"envship: signature good, from key {signature.KeyId}; trusted comment: {signature.TrustedComment}");
                    }

                    if (transfer is not null)
                    {
                        console.Error($"envship: {transfer.Source} {transfer.ManifestDigest}: {transfer.Describe()}.");
                    }

                    console.Error($"envship: deployed {result.Manifest.Summary.Files} files to {result.Destination} ({result.FilesRelocated} relocated from {result.Manifest.SourcePrefix}) in {clock.Elapsed.TotalSeconds:0.0} s; every file verified against manifest sha256 {result.ManifestSha256}.");
                    console.Line($"To activate:  {result.ActivationCommand}");
                }
                else
                {
                    console.Line(result.ActivationCommand);
                }

                return 0;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }
}
