using System.CommandLine;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

internal static class SignCommand
{
    public static Command Create(CliConsole console, CancellationToken cancellationToken)
    {
        var file = new Argument<string>("FILE") { Description = "The file to sign; the signature goes to FILE.minisig." };
        var secretKey = new Option<string>("--secret-key", "-s") { Description = "Secret key file.", DefaultValueFactory = _ => KeyGenerator.DefaultSecretKeyFile };
        var trusted = new Option<string?>("--trusted-comment", "-t") { Description = "One-line comment that is signed too (default: timestamp, file name, 'hashed')." };
        var untrusted = new Option<string?>("--comment", "-c") { Description = "One-line comment that is not signed." };
        var command = new Command("sign", "Sign a file with a minisign-compatible prehashed (ED) signature, written to FILE.minisig.")
        {
            file, secretKey, trusted, untrusted,
        };
        command.SetAction(parse =>
        {
            try
            {
                var path = parse.GetValue(file)!;
                if (!File.Exists(path))
                {
                    throw new Core.EnvshipException(Core.ExitCode.Usage, $"{path}: no such file. Pass the path of an existing file to sign.");
                }

                var key = PasswordSource.LoadKey(console, parse.GetValue(secretKey)!);
                var trustedComment = parse.GetValue(trusted);
                var signature = FileSigner.Sign(path, key, string.IsNullOrEmpty(trustedComment) ? null : trustedComment, parse.GetValue(untrusted), cancellationToken: cancellationToken);
                console.Line($"Signed {path} with key {key.KeyId} into {FileSigner.SignaturePathFor(path)}.");
                console.Line($"Trusted comment: {signature.TrustedComment}");
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
