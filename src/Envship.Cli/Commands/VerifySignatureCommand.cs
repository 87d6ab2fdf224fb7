using System.CommandLine;
using Envship.Core;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

internal static class VerifySignatureCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var file = new Argument<string>("FILE") { Description = "The signed file." };
        var publicKeyFiles = new Option<string[]>("--public-key", "-p") { Description = "A trusted public key file (repeatable)." };
        var publicKeys = new Option<string[]>("--public-key-string", "-P") { Description = "A trusted public key as its base64 line (repeatable)." };
        var signature = new Option<string?>("--signature", "-x") { Description = "The signature file (default: FILE.minisig)." };
        var requirePrehashed = new Option<bool>("--require-prehashed") { Description = "Refuse legacy (non-prehashed 'Ed') signatures." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the trusted comment." };
        var command = new Command("verify-signature", "Check a file against its minisign signature and print the signed (trusted) comment.")
        {
            file, publicKeyFiles, publicKeys, signature, requirePrehashed, quiet,
        };
        command.SetAction(parse =>
        {
            try
            {
                var keys = (parse.GetValue(publicKeyFiles) ?? []).Select(MinisignPublicKey.Load)
                    .Concat((parse.GetValue(publicKeys) ?? []).Select(k => MinisignPublicKey.Parse(k, "-P")))
                    .ToList();
                if (keys.Count == 0)
                {
                    throw new EnvshipException(ExitCode.Usage, "no trusted public key given. Pass the signer's public key file with -p, or its base64 line with -P.");
                }

                var verified = SignatureVerifier.Verify(parse.GetValue(file)!, keys, parse.GetValue(requirePrehashed), parse.GetValue(signature), cancellationToken);
                if (!parse.GetValue(quiet))
                {
                    console.Line("Signature and comment signature verified");
                    console.Line($"Trusted comment: {verified.TrustedComment}");
                    console.Line($"Key id: {verified.KeyId}{(verified.Prehashed ? "" : " (legacy non-prehashed signature)")}");
                }
                else
                {
                    console.Line(verified.TrustedComment);
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
