using System.CommandLine;
using System.Text.RegularExpressions;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;

namespace Envship.Cli.Tests;

/// <summary>
/// Every fix an error message suggests must work as typed: each quoted <c>'envship …'</c> command line
/// parses with the real command tree, and each bare flag a message names exists on the command that
/// printed it (deploy once told users to pass <c>-x</c>, which only verify-signature has).
/// </summary>
public sealed partial class HintTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    private static readonly RootCommand Root = EnvshipApp.CreateRoot(new CliConsole(TextWriter.Null, TextWriter.Null), CancellationToken.None);

    [Theory]
    [InlineData("deploy with --verify-key and no .minisig", ExitCode.SignatureMissing)]
    [InlineData("verify-signature and no .minisig", ExitCode.SignatureMissing)]
    [InlineData("deploy --require-signature without a key", ExitCode.Usage)]
    [InlineData("pack a directory without conda-meta", ExitCode.InvalidEnvironment)]
    [InlineData("pack with both -p and -n", ExitCode.Usage)]
    [InlineData("pack over an existing output", ExitCode.DestinationExists)]
    [InlineData("pack to a .zip", ExitCode.Usage)]
    [InlineData("pack a tar with a level", ExitCode.Usage)]
    [InlineData("pack with a level that is not a number", ExitCode.Usage)]
    [InlineData("deploy into a non-empty directory", ExitCode.DestinationExists)]
    [InlineData("verify a path envship never deployed", ExitCode.Usage)]
    [InlineData("history of a path envship never deployed", ExitCode.Usage)]
    [InlineData("rollback with no previous version", ExitCode.NoPreviousVersion)]
    public void Every_flag_a_message_suggests_exists_on_the_command_that_printed_it(string scenario, ExitCode expected)
    {
        var args = Scenario(scenario);

        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == (int)expected, $"{scenario}: exit {result.ExitCode}\n{result.All}");
        var hints = AssertQuotedCommandLinesParse(result.StdErr);
        var command = Root.Subcommands.Single(c => c.Name == args[0] || c.Aliases.Contains(args[0]));
        var flags = FlagsOf(command);
        foreach (Match flag in BareFlag().Matches(hints))
        {
            Assert.True(flags.Contains(flag.Value), $"{scenario}: the message names {flag.Value}, which 'envship {command.Name}' does not have:\n{result.StdErr}");
        }
    }

    [Fact]
    public void Every_quoted_command_line_in_the_sources_parses()
    {
        var sources = Path.Combine(ExitCodeTests.RepositoryRoot(), "src");
        var quoted = Directory.EnumerateFiles(sources, "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => QuotedCommandLine().Matches(File.ReadAllText(file)).Select(m => (file, line: m.Value)))
            .ToList();

        Assert.True(quoted.Count >= 10, $"found only {quoted.Count} quoted command lines; the pattern no longer matches the messages");
        foreach (var (file, line) in quoted)
        {
            // Interpolated values ({prefix}) stand for one argument each.
            AssertParses(Interpolation().Replace(line.Trim('\''), "X"), Path.GetFileName(file));
        }
    }

    private string[] Scenario(string scenario)
    {
        var work = env.Work.CreateDirectory("hints-" + Guid.NewGuid().ToString("N"));
        string Key()
        {
            var publicKey = Path.Combine(work, "trusted.pub");
            CliRunner.RunOk("keygen", "-W", "-p", publicKey, "-s", Path.Combine(work, "trusted.key"));
            return publicKey;
        }

        string Unsigned()
        {
            var archive = Path.Combine(work, "unsigned.tar.zst");
            File.Copy(env.TarZst, archive);
            return archive;
        }

        return scenario switch
        {
            "deploy with --verify-key and no .minisig" => ["deploy", Unsigned(), "--prefix", Path.Combine(work, "env"), "--verify-key", Key()],
            "verify-signature and no .minisig" => ["verify-signature", Unsigned(), "-p", Key()],
            "deploy --require-signature without a key" => ["deploy", Unsigned(), "--prefix", Path.Combine(work, "env"), "--require-signature"],
            "pack a directory without conda-meta" => ["pack", "-p", work, "-o", Path.Combine(work, "out.tar.zst")],
            "pack with both -p and -n" => ["pack", "-p", env.Prefix, "-n", "other", "-o", Path.Combine(work, "out.tar.zst")],
            "pack over an existing output" => ["pack", "-p", env.Prefix, "-o", Unsigned()],
            "pack to a .zip" => ["pack", "-p", env.Prefix, "-o", Path.Combine(work, "out.zip")],
            "pack a tar with a level" => ["pack", "-p", env.Prefix, "-o", Path.Combine(work, "out.tar"), "--compress-level", "5"],
            "pack with a level that is not a number" => ["pack", "-p", env.Prefix, "--compress-level", "fast"],
            "deploy into a non-empty directory" => ["deploy", env.TarZst, "--prefix", Path.GetDirectoryName(Unsigned())!],
            "verify a path envship never deployed" => ["verify", env.Prefix],
            "history of a path envship never deployed" => ["history", env.Prefix],
            "rollback with no previous version" => Deployed(work),
            _ => throw new ArgumentException(scenario, nameof(scenario)),
        };
    }

    private string[] Deployed(string work)
    {
        var destination = Path.Combine(work, "deployed");
        CliRunner.RunOk("deploy", env.TarZst, "--prefix", destination, "-q");
        return ["rollback", destination];
    }

    /// <summary>Parses each quoted command line and returns the text without them, for the bare flags left.</summary>
    private static string AssertQuotedCommandLinesParse(string text)
    {
        foreach (Match quoted in QuotedCommandLine().Matches(text))
        {
            AssertParses(quoted.Value.Trim('\''), text);
        }

        return QuotedCommandLine().Replace(text, "");
    }

    private static void AssertParses(string commandLine, string where)
    {
        var tokens = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
        var parsed = Root.Parse(tokens);

        // A fragment such as 'envship deploy' lacks required arguments; what it names must still exist.
        Assert.True(parsed.UnmatchedTokens.Count == 0, $"'{commandLine}' (in {where}) has tokens no command takes: {string.Join(", ", parsed.UnmatchedTokens)}");
        Assert.DoesNotContain(parsed.Errors, e => e.Message.Contains("Unrecognized", StringComparison.Ordinal));
        Assert.NotSame(Root, parsed.CommandResult.Command);
    }

    private static HashSet<string> FlagsOf(Command command) =>
        [.. command.Options.SelectMany(o => o.Aliases.Append(o.Name)), "--help", "-h"];

    [GeneratedRegex(@"'envship [^'\r\n]*'")]
    private static partial Regex QuotedCommandLine();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Interpolation();

    // A flag as a word of its own: "-x", "--verify-key", "(--require-signature". Not "tiny-env" or "/tmp/a-b".
    [GeneratedRegex(@"(?<=^|[\s(])--?[a-zA-Z][a-zA-Z-]*(?=[\s,.;:)]|$)", RegexOptions.Multiline)]
    private static partial Regex BareFlag();
}
