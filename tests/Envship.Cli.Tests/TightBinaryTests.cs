using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>Acceptance 3: a binary string without room for the destination.</summary>
public sealed class TightBinaryTests(SmallEnvironment env) : IClassFixture<SmallEnvironment>
{
    [Fact]
    public void Deploy_warns_names_the_file_and_rewrites_runpath_to_origin()
    {
        var archive = env.Pack("tight.tar.zst");
        var moved = MoveAway(env.Prefix);
        try
        {
            var destination = env.Work.Combine("a-destination-much-longer-than-the-source-prefix", "env");
            var result = CliRunner.RunOk("deploy", archive, "--prefix", destination);

            var tight = env.Built.Tight!;
            Assert.Contains($"{tight.ExecutableRelativePath}: 1 binary string(s) cannot hold", result.StdErr, StringComparison.Ordinal);
            Assert.Contains($"the longest destination that fits is {env.Prefix.Length} bytes", result.StdErr, StringComparison.Ordinal);

            foreach (var elf in new[] { tight.ExecutableRelativePath, tight.LibraryRelativePath, env.Built.Greeter!.ExecutableRelativePath })
            {
                var info = ElfTools.ReadDynamic(Path.Combine(destination, elf));
                Assert.DoesNotContain(env.Prefix, (info.RunPath ?? "") + (info.RPath ?? ""), StringComparison.Ordinal);
            }

            Assert.StartsWith("$ORIGIN", ElfTools.ReadDynamic(Path.Combine(destination, tight.ExecutableRelativePath)).RunPath, StringComparison.Ordinal);
            var program = Path.Combine(destination, tight.ExecutableRelativePath);
            Assert.Equal(Path.Combine(destination, tight.LibraryRelativePath), Ldd.Resolve(program, Path.GetFileName(tight.LibraryRelativePath)));
            Assert.Contains(ElfProgramBuilder.TightMessage, ProcessRunner.RunChecked(program, []).StdOut, StringComparison.Ordinal);

            var receipt = File.ReadAllText(Path.Combine(destination, ".envship/receipt.json"));
            Assert.Contains(tight.ExecutableRelativePath, receipt, StringComparison.Ordinal);
            Assert.Contains("longest_destination_that_fits", receipt, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Move(moved, env.Prefix);
        }
    }

    [Fact]
    public void Strict_deploy_fails_before_writing_anything()
    {
        var archive = env.Pack("tight-strict.tar.zst");
        var parent = env.Work.Combine("strict-parent-with-a-much-longer-name-than-the-source");
        Directory.CreateDirectory(parent);
        var destination = Path.Combine(parent, "env");

        var result = CliRunner.Run("deploy", archive, "--prefix", destination, "--strict");

        Assert.Equal((int)ExitCode.RelocationImpossible, result.ExitCode);
        Assert.Contains(env.Built.Tight!.ExecutableRelativePath, result.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    internal static string MoveAway(string prefix)
    {
        var moved = prefix + ".moved-away";
        Directory.Move(prefix, moved);
        return moved;
    }
}
