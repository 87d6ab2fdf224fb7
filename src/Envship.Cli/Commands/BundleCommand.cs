using System.CommandLine;
using Envship.Core.Archive.Installer;
using Envship.Core.Pack;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

/// <summary><c>envship bundle ARCHIVE -o NAME.run</c>: one file that deploys with nothing but sh and coreutils on the target.</summary>
internal static class BundleCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var archive = new Argument<string>("ARCHIVE") { Description = "An archive made by 'envship pack' (tar.zst, tar.gz or tar). ARCHIVE.minisig beside it is embedded." };
        var output = new Option<string?>("--output", "-o") { Description = "The installer to write (default: the archive's name with .run instead of .tar.zst, in the current directory)." };
        var sign = new Option<string?>("--sign") { Description = "Sign the whole installer with this minisign secret key into NAME.run.minisig." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output if it exists." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary." };
        var installer = new InstallerCliOptions();
        var command = new Command("bundle", "Make a self-extracting installer (NAME.run): an sh header, the native envship and the archive in one file.") { archive, output, sign, force, quiet, json };
        installer.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var archivePath = parse.GetValue(archive)!;
                var (target, binary) = installer.Resolve(parse);
                var key = parse.GetValue(sign) is { } secret ? PasswordSource.LoadKey(console, secret) : null;
                var signaturePath = FileSigner.SignaturePathFor(archivePath);
                var result = InstallerWriter.Write(
                    new InstallerOptions
                    {
                        ArchivePath = archivePath,
                        Output = parse.GetValue(output) ?? DefaultOutput(archivePath),
                        Target = target,
                        BinaryPath = binary,
                        ArchiveSignaturePath = File.Exists(signaturePath) ? signaturePath : null,
                        Force = parse.GetValue(force),
                    },
                    cancellationToken);
                InstallerReport.Finish(console, key, result, parse.GetValue(quiet), parse.GetValue(json), cancellationToken);
                return 0;
            }
            catch (Exception ex)
            {
                return EnvshipApp.Fail(ex, console);
            }
        });
        return command;
    }

    private static string DefaultOutput(string archive)
    {
        var name = Path.GetFileName(archive.TrimEnd('/'));
        foreach (var suffix in new[] { ".tar.zst", ".tzst", ".tar.gz", ".tgz", ".tar" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return name[..^suffix.Length] + ".run";
            }
        }

        return name + ".run";
    }
}

/// <summary>What <c>bundle</c> and <c>pack --format run</c> print once the installer is written, after signing it.</summary>
internal static class InstallerReport
{
    public static void Finish(CliConsole console, MinisignSecretKey? key, InstallerResult result, bool quiet, bool json, CancellationToken cancellationToken)
    {
        string? signaturePath = null;
        if (key is not null)
        {
            var comment = ArchiveSignature.Sign(result.OutputPath, result.Manifest, key, cancellationToken);
            signaturePath = FileSigner.SignaturePathFor(result.OutputPath);
            if (!quiet && !json)
            {
                console.Error($"Signed {signaturePath} with key {key.KeyId}: {comment}");
            }
        }

        var layout = result.Layout;
        if (json)
        {
            console.Json(
                new BundleSummary(result.OutputPath, result.Bytes, layout.Target.Name, layout.Binary.Size, layout.Binary.Sha256!, layout.Archive.Size, layout.Archive.Sha256!, result.ManifestSha256, InstallerSignature.IsEmbedded(layout), signaturePath),
                CliJsonContext.Default.BundleSummary);
            return;
        }

        if (!quiet)
        {
            var embedded = InstallerSignature.IsEmbedded(layout) ? " and the archive's signature" : "";
            console.Line($"Wrote {result.OutputPath} ({Rendering.ProgressDisplay.Bytes(result.Bytes)}): envship for {layout.Target.Name}, the archive (manifest sha256 {result.ManifestSha256}){embedded}.");
            console.Line($"On the target:  sh {Path.GetFileName(result.OutputPath)} --prefix DEST");
        }
    }
}

public sealed record BundleSummary(
    string Output,
    long Bytes,
    string Target,
    long BinaryBytes,
    string BinarySha256,
    long ArchiveBytes,
    string ArchiveSha256,
    string ManifestSha256,
    bool ArchiveSignatureEmbedded,
    string? Signature);
