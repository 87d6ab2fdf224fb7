using System.CommandLine;
using System.Text;
using Envship.Cli.Rendering;
using Envship.Core.Archive;
using Envship.Core.Archive.Installer;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

internal static class InspectCommand
{
    private const int LargestShown = 10;

    public static Command Create(CliConsole console)
    {
        var archive = new Argument<string>("ARCHIVE") { Description = "An archive made by 'envship pack', or an installer (NAME.run) made by 'envship bundle'." };
        var json = new Option<bool>("--json") { Description = "Print the whole manifest as JSON." };
        var verifyKey = new Option<string[]>("--verify-key") { Description = "Public key file of a trusted signer (repeatable): verify the archive's .minisig too." };
        var command = new Command("inspect", "Show an archive's manifest and signature without extracting it.") { archive, json, verifyKey };
        command.SetAction(parse =>
        {
            try
            {
                Manifest manifest;
                string digest;
                using (var reader = ArchiveReader.Open(parse.GetValue(archive)!))
                {
                    (manifest, digest) = (reader.Manifest, reader.ManifestSha256);
                }

                if (parse.GetValue(json))
                {
                    console.Line(Encoding.UTF8.GetString(ManifestJson.Serialize(manifest)));
                }
                else
                {
                    Describe(console, manifest);
                    console.Line($"manifest:      sha256 {digest} (what 'envship history' shows once deployed)");
                    console.Line($"signature:     {SignatureStatus(parse.GetValue(archive)!, parse.GetValue(verifyKey) ?? [])}");
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

    private static void Describe(CliConsole console, Manifest m)
    {
        console.Line($"envship archive, format {m.FormatVersion}, made by envship {m.EnvshipVersion} on {m.Created:yyyy-MM-dd HH:mm:ss}Z");
        console.Line($"platform:      {m.Platform.Subdir} ({m.Platform.Os}/{m.Platform.Arch})");
        console.Line($"source prefix: {m.SourcePrefix}{(m.PackedFromPrefix is null ? "" : $" (packed from {m.PackedFromPrefix})")}");
        console.Line($"kind:          {(m.WholeInstallation ? "whole installation" : "environment")}");
        console.Line($"content:       {m.Summary.Files} files, {m.Summary.Directories} directories, {m.Summary.Symlinks} symlinks, {m.Summary.Hardlinks} hard links, {ProgressDisplay.Bytes(m.Summary.TotalBytes)}");
        var relocations = m.Summary.Relocations.Count == 0 ? "none" : string.Join(", ", m.Summary.Relocations.Select(r => $"{r.Value} {r.Key}"));
        console.Line($"relocations:   {relocations}");
        var longest = LongestDestination(m);
        if (longest is not null)
        {
            console.Line($"binary room:   every binary string fits a destination of up to {longest} bytes");
        }

        console.Line("environments:");
        foreach (var e in m.Environments)
        {
            console.Line($"  {(e.Path.Length == 0 ? "." : e.Path),-20} {e.Name,-16} python {e.PythonVersion ?? "-",-8} {e.CondaPackages.Count} conda packages, {e.PipDistributions.Count} pip distributions");
        }

        foreach (var e in m.Environments.Where(e => e.Cuda is not null))
        {
            var cuda = e.Cuda!;
            var where = m.Environments.Count > 1 ? $" [{(e.Path.Length == 0 ? "." : e.Path)}]" : "";
            var driver = cuda.MinDriver is null ? "an NVIDIA driver of any version" : $"an NVIDIA driver for CUDA {cuda.MinDriver} or newer";
            var toolkit = cuda.Toolkit is null ? "" : $"; built for CUDA {cuda.Toolkit}";
            console.Line($"cuda:          needs {driver} ({cuda.RequiredBy}){toolkit}{where}");
        }

        var largest = m.Environments
            .SelectMany(e => e.CondaPackages.Where(p => p.Size is not null).Select(p => (Environment: e.Path, Package: p)))
            .OrderByDescending(x => x.Package.Size)
            .ThenBy(x => x.Package.Name, StringComparer.Ordinal)
            .Take(LargestShown)
            .ToList();
        if (largest.Count > 0)
        {
            console.Line("largest packages:");
            foreach (var (environment, p) in largest)
            {
                var where = environment.Length == 0 ? "" : $" [{environment}]";
                console.Line($"  {ProgressDisplay.Bytes(p.Size!.Value),10}  {p.Name} {p.Version} ({p.Build}){where}");
            }
        }

        foreach (var warning in m.Warnings)
        {
            console.Line($"warning: {warning}");
        }
    }

    private static int? LongestDestination(Manifest m)
    {
        var sourceLength = Encoding.UTF8.GetByteCount(m.SourcePrefix);
        var limits = m.Entries
            .SelectMany(e => e.Relocation?.Segments ?? [])
            .Where(s => s.Kind == SegmentKind.CString)
            .Select(s => sourceLength + ((s.Length - 1 - s.StringLength) / Math.Max(1, s.Occurrences)))
            .ToList();
        return limits.Count == 0 ? null : limits.Min();
    }

    /// <summary>Without keys only what the .minisig claims is shown; with keys it is verified (and a bad one fails inspect).</summary>
    private static string SignatureStatus(string archive, string[] keyFiles)
    {
        if (InstallerLayout.TryRead(archive) is { } installer && InstallerSignature.IsEmbedded(installer))
        {
            if (keyFiles.Length > 0)
            {
                var verified = InstallerSignature.Verify(archive, installer, [.. keyFiles.Select(MinisignPublicKey.Load)]);
                return $"verified (the archive's signature inside the installer), from key {verified.KeyId}; trusted comment: {verified.TrustedComment}";
            }

            var embedded = InstallerSignature.Read(archive, installer);
            return $"inside the installer, NOT verified (pass --verify-key), key {embedded.KeyId}; trusted comment: {embedded.TrustedComment}";
        }

        var signaturePath = FileSigner.SignaturePathFor(archive);
        if (!File.Exists(signaturePath))
        {
            return "none (no " + Path.GetFileName(signaturePath) + ")";
        }

        if (keyFiles.Length > 0)
        {
            var verified = SignatureVerifier.Verify(archive, [.. keyFiles.Select(MinisignPublicKey.Load)], requirePrehashed: false);
            return $"verified, from key {verified.KeyId}; trusted comment: {verified.TrustedComment}";
        }

        var claimed = MinisignSignature.Load(signaturePath, archive);
        return $"present, NOT verified (pass --verify-key), key {claimed.KeyId}; trusted comment: {claimed.TrustedComment}";
    }
}
