using System.Reflection;
using System.Text.RegularExpressions;
using Envship.Cli.Tests.Fixtures;
using Envship.Core;
using Envship.Testing;

namespace Envship.Cli.Tests;

/// <summary>
/// The one exit-code table: every code in <see cref="ExitCode"/> is reached by a real command line,
/// here or in the test named in <see cref="CoveredElsewhere"/>, and the README lists exactly these codes.
/// </summary>
public sealed partial class ExitCodeTests(TinyEnvironment env) : IClassFixture<TinyEnvironment>
{
    /// <summary>Codes whose refusals have tests of their own, which drive real command lines to them.</summary>
    private static readonly Dictionary<ExitCode, (Type Class, string Test)> CoveredElsewhere = new()
    {
        [ExitCode.DestinationExists] = (typeof(CliBehaviourTests), nameof(CliBehaviourTests.Pack_never_overwrites_without_force)),
        [ExitCode.Drift] = (typeof(VerifyTests), nameof(VerifyTests.Clean_then_modified_and_deleted)),
        [ExitCode.DamagedArchive] = (typeof(CliBehaviourTests), nameof(CliBehaviourTests.Deploy_tells_the_format_by_magic_bytes_not_by_name)),
        [ExitCode.PlatformMismatch] = (typeof(CliBehaviourTests), nameof(CliBehaviourTests.Archives_made_for_another_platform_are_refused_before_writing)),
        [ExitCode.RelocationImpossible] = (typeof(TightBinaryTests), nameof(TightBinaryTests.Strict_deploy_fails_before_writing_anything)),
        [ExitCode.PreflightFailed] = (typeof(PreflightTests), nameof(PreflightTests.An_environment_needing_a_newer_glibc_than_the_host_is_refused_before_writing)),
        [ExitCode.IoFailure] = (typeof(PreflightTests), nameof(PreflightTests.A_disk_that_fills_during_the_deploy_fails_cleanly_with_no_space_left)),
        [ExitCode.Locked] = (typeof(DeployLockTests), nameof(DeployLockTests.A_second_deploy_fails_fast_while_the_first_holds_the_lock)),
        [ExitCode.NoPreviousVersion] = (typeof(RollbackTests), nameof(RollbackTests.Rollback_without_a_previous_version_says_so)),
        [ExitCode.CudaDriverTooOld] = (typeof(CudaDriverTests), nameof(CudaDriverTests.A_driver_too_old_is_refused_before_writing_and_ignore_cuda_deploys_with_a_warning)),
        [ExitCode.UnknownKey] = (typeof(DeploySignatureTests), nameof(DeploySignatureTests.A_signature_from_another_key_is_refused_before_writing)),
        [ExitCode.BadSignature] = (typeof(DeploySignatureTests), nameof(DeploySignatureTests.A_modified_archive_is_refused_before_writing)),
        [ExitCode.TrustedCommentModified] = (typeof(DeploySignatureTests), nameof(DeploySignatureTests.A_modified_trusted_comment_is_refused_before_writing)),
        [ExitCode.SignatureMissing] = (typeof(DeploySignatureTests), nameof(DeploySignatureTests.A_missing_signature_is_refused_when_required_also_through_the_environment)),
        [ExitCode.BadKey] = (typeof(MinisignInteropTests), nameof(MinisignInteropTests.A_password_on_stdin_decrypts_a_key_for_both_tools_and_a_wrong_one_is_a_clear_error)),
        [ExitCode.RegistryAuth] = (typeof(LoginTests), nameof(LoginTests.Login_with_a_wrong_password_exits_30_naming_the_host_and_writes_nothing)),
        [ExitCode.RemoteUnavailable] = (typeof(LoginTests), nameof(LoginTests.Login_to_a_closed_port_exits_31_naming_the_host)),
        [ExitCode.RemoteNotFound] = (typeof(Registry.AuthenticatedFleetTests), nameof(Registry.AuthenticatedFleetTests.Basic_auth_push_and_deploy_work_after_login_and_fail_clearly_without_it)),
        [ExitCode.HungUp] = (typeof(CliBehaviourTests), nameof(CliBehaviourTests.An_interrupted_pack_leaves_nothing_behind)),
        [ExitCode.Interrupted] = (typeof(CliBehaviourTests), nameof(CliBehaviourTests.An_interrupted_pack_leaves_nothing_behind)),
    };

    /// <summary>Codes this class drives itself, below.</summary>
    private static readonly ExitCode[] CoveredHere = [ExitCode.Success, ExitCode.Unexpected, ExitCode.Usage, ExitCode.InvalidEnvironment];

    [Fact]
    public void Every_exit_code_is_driven_by_a_test()
    {
        foreach (var code in Enum.GetValues<ExitCode>())
        {
            if (CoveredHere.Contains(code))
            {
                continue;
            }

            Assert.True(CoveredElsewhere.TryGetValue(code, out var test), $"exit code {(int)code} ({code}) has no test");
            var method = test.Class.GetMethod(test.Test);
            Assert.True(method is not null, $"{test.Class.Name}.{test.Test} does not exist");
            Assert.True(method.GetCustomAttributes<FactAttribute>().Any(), $"{test.Class.Name}.{test.Test} is not a test");
        }
    }

    [Fact]
    public void The_readme_table_lists_exactly_the_codes_of_the_enum()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = readme[readme.IndexOf("\n## Exit codes\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];

        var documented = TableRow().Matches(section).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.Equal(documented.Distinct().Count(), documented.Count);
        Assert.Equal(Enum.GetValues<ExitCode>().Select(c => (int)c).Order(), documented.Order());
    }

    [Fact]
    public void Success_is_0()
    {
        var archive = env.Work.Combine("exit-0.tar.zst");
        Assert.Equal(0, CliRunner.Run("pack", "-p", env.Prefix, "-o", archive, "-q").ExitCode);
        Assert.Equal(0, CliRunner.Run("inspect", archive).ExitCode);
    }

    [Fact]
    public void An_unexpected_failure_is_1_and_says_it_is_a_bug_with_the_details()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = EnvshipApp.Fail(new InvalidOperationException("the kind of thing no command expects"), new CliConsole(output, error));

        Assert.Equal((int)ExitCode.Unexpected, code);
        Assert.StartsWith("envship: error: unexpected failure: System.InvalidOperationException: the kind of thing no command expects", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("parse error", "pack", "--compress-level", "abc")]
    [InlineData("range", "pack", "--compress-level", "99")]
    [InlineData("unwritable name", "pack", "-o", "env.zip")]
    [InlineData("contradiction", "pack", "-o", "env.tar.gz", "--format", "tar.zst")]
    [InlineData("missing archive", "deploy", "/nonexistent/env.tar.zst", "--prefix", "/nonexistent/env")]
    public void Usage_errors_are_2(string why, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == (int)ExitCode.Usage, $"{why}: exit {result.ExitCode}\n{result.All}");
        Assert.StartsWith("envship: error: ", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("history")]
    public void Verify_and_history_on_a_path_envship_never_deployed_are_both_2_and_say_so(string command)
    {
        var result = CliRunner.Run(command, env.Prefix);

        Assert.Equal((int)ExitCode.Usage, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Contains($"{env.Prefix}: not an envship deployment (it has no .envship/receipt.json)", result.StdErr, StringComparison.Ordinal);
        Assert.Contains($"'envship deploy ARCHIVE --prefix {env.Prefix}'", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_conda_environment_is_3()
    {
        var notConda = env.Work.CreateDirectory("plain-directory");
        File.WriteAllText(Path.Combine(notConda, "file.txt"), "no conda-meta here");

        var result = CliRunner.Run("pack", "-p", notConda, "-o", env.Work.Combine("never.tar.zst"));

        Assert.Equal((int)ExitCode.InvalidEnvironment, result.ExitCode);
        Assert.Contains("is not a conda environment (it has no conda-meta/ directory)", result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(env.Work.Combine("never.tar.zst")));
    }

    internal static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Envship.slnx")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        return root.FullName;
    }

    [GeneratedRegex(@"^\| (\d+) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
