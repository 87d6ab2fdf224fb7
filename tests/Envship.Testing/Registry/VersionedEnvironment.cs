namespace Envship.Testing.Registry;

/// <summary>
/// An environment in two versions for push tests. v1: the real packages (zlib linux-64 build among
/// them), the file variety of <see cref="CondaPrefixBuilder"/> and a pip distribution <c>alpha</c>.
/// v2: zlib replaced by another build (the osx-64 one), a pip distribution <c>beta</c> added, and
/// <c>etc/example.conf</c> (owned by no package) changed.
/// </summary>
public static class VersionedEnvironment
{
    public const string SitePackages = "lib/python3.12/site-packages";
    public const string ZlibV1 = "conda:zlib-1.2.11-h7b6447c_3";
    public const string ZlibV2 = "conda:zlib-1.2.11-h1de35cc_3";

    public static BuiltPrefix BuildV1(string prefix, string pkgsCache)
    {
        var built = CondaPrefixBuilder.Build(prefix, new CondaPrefixOptions { WithRealPackages = true, PkgsCacheDirectory = pkgsCache });
        AddPipDistribution(prefix, "alpha", "1.0", "print('alpha')\n");
        return built;
    }

    public static void UpgradeToV2(BuiltPrefix v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var zlib = v1.Packages.Single(p => p.Name == "zlib");
        foreach (var file in zlib.Files)
        {
            File.Delete(Path.Combine(v1.Prefix, file));
        }

        File.Delete(zlib.RecordPath);
        CondaPackageInstaller.Install(Path.Combine(FixturePaths.RealPackages, "osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2"), v1.Prefix, v1.PkgsCacheDirectory);
        AddPipDistribution(v1.Prefix, "beta", "2.0", "print('beta')\n");
        File.AppendAllText(Path.Combine(v1.Prefix, CondaPrefixBuilder.ExampleConf), "changed_in=v2\n");
    }

    /// <summary>A wheel-style install: the module, and a dist-info whose RECORD lists both.</summary>
    public static void AddPipDistribution(string prefix, string name, string version, string code)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(name);
        var site = Path.Combine(prefix, SitePackages);
        var distInfo = $"{name}-{version}.dist-info";
        Directory.CreateDirectory(Path.Combine(site, name));
        Directory.CreateDirectory(Path.Combine(site, distInfo));
        File.WriteAllText(Path.Combine(site, name, "__init__.py"), code);
        File.WriteAllText(Path.Combine(site, distInfo, "METADATA"), $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n");
        File.WriteAllText(Path.Combine(site, distInfo, "INSTALLER"), "pip\n");
        File.WriteAllText(
            Path.Combine(site, distInfo, "RECORD"),
            $"{name}/__init__.py,sha256={FileOps.Sha256Hex(Path.Combine(site, name, "__init__.py"))},{code.Length}\n{distInfo}/METADATA,,\n{distInfo}/INSTALLER,,\n{distInfo}/RECORD,,\n");
    }
}
