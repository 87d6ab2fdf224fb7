using System.Text;
using Envship.Core;
using Envship.Core.Trust;

namespace Envship.Cli.Commands;

/// <summary>
/// Where a secret key's password comes from: <c>ENVSHIP_PASSWORD</c> when set, else a prompt on the
/// terminal without echo, else one line of stdin (so scripts can pipe it, as with minisign).
/// </summary>
internal static class PasswordSource
{
    public const string EnvironmentVariable = "ENVSHIP_PASSWORD";

    public static string ForNewKey(CliConsole console)
    {
        var password = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (password is null && IsTerminal(console))
        {
            password = Prompt(console, "Password for the new secret key: ");
            if (Prompt(console, "Password (one more time): ") != password)
            {
                throw new EnvshipException(ExitCode.Usage, "the two passwords differ, so no key was written. Run envship keygen again and type the same password twice.");
            }
        }

        password ??= ReadLine("the new secret key");
        if (password.Length == 0)
        {
            throw new EnvshipException(ExitCode.Usage, "the password is empty, so no key was written. Give a password, or pass -W to store the secret key unencrypted.");
        }

        return password;
    }

    public static MinisignSecretKey LoadKey(CliConsole console, string keyFile)
    {
        var asked = false;
        try
        {
            var key = MinisignSecretKey.Load(keyFile, () =>
            {
                var password = Environment.GetEnvironmentVariable(EnvironmentVariable)
                    ?? (IsTerminal(console) ? Prompt(console, $"Password for {keyFile}: ") : ReadLine(keyFile));
                asked = true;
                console.Err.Write("Deriving a key from the password and decrypting the secret key... ");
                console.Err.Flush();
                return password;
            });
            if (asked)
            {
                console.Err.WriteLine("done");
            }

            return key;
        }
        catch (EnvshipException) when (asked)
        {
            console.Err.WriteLine();
            throw;
        }
    }

    private static bool IsTerminal(CliConsole console) => !Console.IsInputRedirected && ReferenceEquals(console.Err, Console.Error);

    private static string Prompt(CliConsole console, string prompt)
    {
        console.Err.Write(prompt);
        console.Err.Flush();
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                console.Err.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                password.Length = Math.Max(0, password.Length - 1);
            }
            else if (key.KeyChar != '\0')
            {
                password.Append(key.KeyChar);
            }
        }
    }

    private static string ReadLine(string what) =>
        Console.In.ReadLine()
        ?? throw new EnvshipException(ExitCode.Usage, $"{what}: needs a password, but stdin ended before one was read. Set {EnvironmentVariable}, run in a terminal, or pipe the password on stdin.");
}
