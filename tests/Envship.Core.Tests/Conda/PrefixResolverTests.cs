using Envship.Core.Conda;
using Envship.Testing;

namespace Envship.Core.Tests.Conda;

public sealed class PrefixResolverTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _home;
    private readonly string _root;

    public PrefixResolverTests()
    {
        _home = _temp.CreateDirectory("home");
        _root = _temp.CreateDirectory("miniconda3");
        _temp.CreateDirectory("miniconda3/conda-meta");
        _temp.CreateDirectory("miniconda3/condabin");
        _temp.CreateDirectory("miniconda3/envs/web/conda-meta");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Prefix_is_returned_as_full_path_without_trailing_separator()
    {
        var env = Path.Combine(_root, "envs", "web");

        var resolved = PrefixResolver.Resolve(env + Path.DirectorySeparatorChar, null, Env(), _home);

        Assert.Equal(env, resolved);
    }

    [Fact]
    public void Prefix_without_conda_meta_is_rejected_by_name()
    {
        var notEnv = _temp.CreateDirectory("plain");

        var e = Assert.Throws<PrefixResolutionException>(() => PrefixResolver.Resolve(notEnv, null, Env(), _home));

        Assert.Contains(notEnv, e.Message, StringComparison.Ordinal);
        Assert.Contains("not a conda environment", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.InvalidEnvironment, e.Code);
    }

    [Fact]
    public void Missing_prefix_is_rejected_by_name()
    {
        var missing = Path.Combine(_temp.Path, "nope");

        var e = Assert.Throws<PrefixResolutionException>(() => PrefixResolver.Resolve(missing, null, Env(), _home));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("not a conda environment", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.Usage, e.Code);
    }

    [Fact]
    public void Prefix_and_name_together_are_rejected()
    {
        var e = Assert.Throws<PrefixResolutionException>(() => PrefixResolver.Resolve(_root, "web", Env(), _home));

        Assert.Contains("not both", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_given_uses_CONDA_PREFIX()
    {
        var env = Path.Combine(_root, "envs", "web");

        Assert.Equal(env, PrefixResolver.Resolve(null, null, Env(("CONDA_PREFIX", env)), _home));
    }

    [Fact]
    public void Nothing_given_and_no_CONDA_PREFIX_explains_what_to_do()
    {
        var e = Assert.Throws<PrefixResolutionException>(
            () => PrefixResolver.Resolve(null, " ", Env(("CONDA_PREFIX", "")), _home));

        Assert.Equal(
            "no environment given and CONDA_PREFIX is not set; pass -p PREFIX or -n NAME, or activate the environment",
            e.Message);
    }

    [Theory]
    [InlineData("CONDA_ROOT", "")]
    [InlineData("MAMBA_ROOT_PREFIX", "")]
    [InlineData("CONDA_EXE", "bin/conda")]
    [InlineData("CONDA_EXE", "condabin/conda")]
    public void Base_is_the_root_install(string variable, string suffix)
    {
        var value = suffix.Length == 0 ? _root : Path.Combine(_root, suffix);

        Assert.Equal(_root, PrefixResolver.Resolve(null, "base", Env((variable, value)), _home));
    }

    [Fact]
    public void Base_skips_roots_that_do_not_exist()
    {
        var env = Env(("CONDA_ROOT", Path.Combine(_temp.Path, "gone")), ("CONDA_EXE", Path.Combine(_root, "bin", "conda")));

        Assert.Equal(_root, PrefixResolver.Resolve(null, "base", env, _home));
    }

    [Fact]
    public void Base_falls_back_to_a_root_listed_in_environments_txt()
    {
        _temp.WriteFile("home/.conda/environments.txt", _root + "\n" + Path.Combine(_root, "envs", "web") + "\n");

        Assert.Equal(_root, PrefixResolver.Resolve(null, "base", Env(), _home));
    }

    [Fact]
    public void Name_is_found_under_the_root_envs()
    {
        var resolved = PrefixResolver.Resolve(null, "web", Env(("MAMBA_ROOT_PREFIX", _root)), _home);

        Assert.Equal(Path.Combine(_root, "envs", "web"), resolved);
    }

    [Fact]
    public void Name_is_found_through_environments_txt()
    {
        var elsewhere = _temp.CreateDirectory("projects/ml");
        _temp.CreateDirectory("projects/ml/conda-meta");
        _temp.WriteFile("home/.conda/environments.txt", $"{_root}\n\n{elsewhere}/\n");

        Assert.Equal(elsewhere, PrefixResolver.Resolve(null, "ml", Env(), _home));
        Assert.Equal(Path.Combine(_root, "envs", "web"), PrefixResolver.Resolve(null, "web", Env(), _home));
    }

    [Fact]
    public void Unknown_name_lists_the_places_searched()
    {
        var e = Assert.Throws<PrefixResolutionException>(
            () => PrefixResolver.Resolve(null, "missing", Env(("CONDA_ROOT", _root)), _home));

        Assert.Contains("'missing'", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_root, "envs", "missing"), e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_home, ".conda", "envs", "missing"), e.Message, StringComparison.Ordinal);
        Assert.Contains("CONDA_ROOT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base_without_any_hint_says_so()
    {
        var e = Assert.Throws<PrefixResolutionException>(() => PrefixResolver.Resolve(null, "base", Env(), _home));

        Assert.Contains("CONDA_ROOT, MAMBA_ROOT_PREFIX and CONDA_EXE are not set", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../web")]
    [InlineData("envs/web")]
    [InlineData("..")]
    public void Names_with_path_separators_are_rejected(string name)
    {
        var e = Assert.Throws<PrefixResolutionException>(
            () => PrefixResolver.Resolve(null, name, Env(("CONDA_ROOT", _root)), _home));

        Assert.Contains("-p PREFIX", e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Env(params (string Key, string? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);
}
