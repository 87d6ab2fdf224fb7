using Envship.Core;
using Envship.Core.Archive;
using Envship.Core.Pack;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

/// <summary>
/// <c>pack --format run</c> (or <c>-o NAME.run</c>): pack to a tar.zst beside the output, sign it when
/// asked, bundle it with the native envship into NAME.run, then remove the intermediate archive.
/// </summary>
internal static class InstallerPack
{
    public const string FormatName = "run";
    private const string Suffix = ".run";

    /// <summary>True when the command line asks for an installer; refuses a format that contradicts the output's name.</summary>
    public static bool Requested(string? output, string? format)
    {
        var named = output?.EndsWith(Suffix, StringComparison.Ordinal) == true;
        if (format == FormatName)
        {
            return output is null || named
                ? true
                : throw new EnvshipException(ExitCode.Usage, $"--format run contradicts the output name {output}. Name the output NAME.run, or drop --format run.");
        }

        if (named && format is not (null or "infer"))
        {
            throw new EnvshipException(ExitCode.Usage, $"--format {format} contradicts the output name {output}, which says run (a self-extracting installer). Drop --format, or name the output with {ArchiveFormats.Extension(ArchiveFormats.Parse(format))}.");
        }

        return named;
    }

    /// <summary>The installer's path: -o, else the environment's name with .run in the current directory.</summary>
    public static string Output(string? output, string prefix) => Path.GetFullPath(output ?? Path.GetFileName(prefix.TrimEnd('/')) + Suffix);

    public static PackResult Pack(CliConsole console, PackOptions options, (Envship.Core.Archive.Installer.InstallerTarget Target, string Binary) installer, MinisignSecretKey? key, Func<PackOptions, PackResult> pack, bool quiet, bool json, CancellationToken cancellationToken)
    {
        var output = Output(options.Output, options.Prefix);

        // Refused before minutes of packing, as a plain pack refuses an existing output.
        if ((File.Exists(output) || Directory.Exists(output)) && !options.Force)
        {
            throw new EnvshipException(ExitCode.DestinationExists, $"{output}: already exists. Pass -f to overwrite it, or choose another name with -o.");
        }

        var archive = $"{output}.envship-tmp-{Environment.ProcessId}-archive.tar.zst";
        try
        {
            var packed = pack(options with { Output = archive, Format = ArchiveFormat.TarZst, Force = true });
            if (key is not null)
            {
                ArchiveSignature.Sign(archive, packed.Manifest, key, cancellationToken);
            }

            var result = InstallerWriter.Write(
                new InstallerOptions
                {
                    ArchivePath = archive,
                    Output = output,
                    Target = installer.Target,
                    BinaryPath = installer.Binary,
                    ArchiveSignaturePath = key is null ? null : FileSigner.SignaturePathFor(archive),
                    Force = options.Force,
                },
                cancellationToken);
            InstallerReport.Finish(console, key, result, quiet: true, json: false, cancellationToken);
            if (!quiet && !json && key is not null)
            {
                console.Error($"Signed the archive inside {Path.GetFileName(output)} and the whole file into {FileSigner.SignaturePathFor(output)} with key {key.KeyId}.");
            }

            return packed with { OutputPath = result.OutputPath, ArchiveBytes = result.Bytes };
        }
        finally
        {
            File.Delete(archive);
            File.Delete(FileSigner.SignaturePathFor(archive));
        }
    }
}
