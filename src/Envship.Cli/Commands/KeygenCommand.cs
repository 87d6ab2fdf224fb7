using System.CommandLine;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

internal static class KeygenCommand
{
    public static Command Create(CliConsole console)
    {
        var publicKey = new Option<string>("--public-key", "-p") { Description = "Public key file to write.", DefaultValueFactory = _ => KeyGenerator.DefaultPublicKeyFile };
        var secretKey = new Option<string>("--secret-key", "-s") { Description = "Secret key file to write (mode 0600).", DefaultValueFactory = _ => KeyGenerator.DefaultSecretKeyFile };
        var unencrypted = new Option<bool>("-W") { Description = "Store the secret key unencrypted (no password)." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite existing key files." };
        var command = new Command("keygen", "Create a minisign-compatible Ed25519 key pair; the secret key is encrypted with a password (scrypt) unless -W.")
        {
            publicKey, secretKey, unencrypted, force,
        };
        command.SetAction(parse =>
        {
            try
            {
                var pub = parse.GetValue(publicKey)!;
                var sec = parse.GetValue(secretKey)!;
                KeyGenerator.EnsureWritable(pub, sec, parse.GetValue(force));
                var password = parse.GetValue(unencrypted) ? null : PasswordSource.ForNewKey(console);
                if (password is not null)
                {
                    console.Err.Write("Deriving a key from the password in order to encrypt the secret key... ");
                    console.Err.Flush();
                }

                var key = KeyGenerator.Generate(pub, sec, password, ScryptCost.Default, parse.GetValue(force));
                if (password is not null)
                {
                    console.Err.WriteLine("done");
                }

                console.Line($"The secret key was saved as {sec} - keep it secret{(password is null ? " (it is not encrypted)" : "")}.");
                console.Line($"The public key was saved as {pub} - that one can be public. Key id: {key.KeyId}.");
                console.Line("");
                console.Line("Files signed with this key pair can be verified with either:");
                console.Line($"  envship verify-signature FILE -P {key.PublicKey.ToBase64()}");
                console.Line($"  minisign -Vm FILE -P {key.PublicKey.ToBase64()}");
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
