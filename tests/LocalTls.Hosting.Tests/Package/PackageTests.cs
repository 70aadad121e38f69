using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Package;

/// <summary>Packs src/LocalTls.Hosting once (Release, into a temp folder) for every test of <see cref="PackageTests"/>.</summary>
public sealed class PackedHosting : IAsyncLifetime
{
    private readonly TempDirectory output = new("localtls-pack");

    public string PackagePath { get; private set; } = "";

    public string SymbolsPath { get; private set; } = "";

    public XElement Metadata { get; private set; } = new("metadata");

    public string Version { get; } = Property(Repository.Path("Directory.Build.props"), "VersionPrefix");

    public async ValueTask InitializeAsync()
    {
        var result = await Tool.RunAsync(
            "dotnet",
            ["pack", Repository.Path("src", "LocalTls.Hosting", "LocalTls.Hosting.csproj"), "-c", "Release", "-o", output.Path, "-nologo"],
            workingDirectory: Repository.Root,
            timeout: TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        Assert.True(result.ExitCode == 0, $"dotnet pack failed ({result.ExitCode}):\n{result.Output}");

        PackagePath = Path.Combine(output.Path, $"LocalTls.Hosting.{Version}.nupkg");
        SymbolsPath = Path.Combine(output.Path, $"LocalTls.Hosting.{Version}.snupkg");
        Assert.True(File.Exists(PackagePath), $"dotnet pack wrote no {Path.GetFileName(PackagePath)}: {string.Join(", ", Directory.GetFiles(output.Path).Select(Path.GetFileName))}");

        using var package = ZipFile.OpenRead(PackagePath);
        var nuspec = package.GetEntry("LocalTls.Hosting.nuspec") ?? throw new InvalidOperationException("The package has no LocalTls.Hosting.nuspec.");
        using var stream = nuspec.Open();
        var document = XDocument.Load(stream);
        Metadata = document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    public ValueTask DisposeAsync()
    {
        output.Dispose();
        return ValueTask.CompletedTask;
    }

    public string? Value(string name) => Metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    public XElement? Element(string name) => Metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name);

    public IReadOnlyList<string> Entries()
    {
        using var package = ZipFile.OpenRead(PackagePath);
        return [.. package.Entries.Select(e => e.FullName)];
    }

    public byte[] Read(string entryName)
    {
        using var package = ZipFile.OpenRead(PackagePath);
        var entry = package.GetEntry(entryName) ?? throw new InvalidOperationException($"The package has no {entryName}.");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    internal static string Property(string propsFile, string name) =>
        XDocument.Load(propsFile).Descendants(name).Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0)
        ?? throw new InvalidOperationException($"{propsFile} sets no {name}.");
}

/// <summary>What a user of the LocalTls.Hosting package gets: metadata, dependencies, assembly, docs and symbols.</summary>
public sealed class PackageTests(PackedHosting pack) : IClassFixture<PackedHosting>
{
    [Fact]
    public void Id_and_version_come_from_the_repository_not_the_sdk_default()
    {
        Assert.Equal("LocalTls.Hosting", pack.Value("id"));
        Assert.Matches(new Regex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"), pack.Version);
        Assert.NotEqual("1.0.0", pack.Version);
        Assert.Equal(pack.Version, pack.Value("version"));
    }

    [Fact]
    public void License_is_the_repository_license_as_an_expression()
    {
        var license = pack.Element("license");
        Assert.NotNull(license);
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.StartsWith("MIT License", File.ReadAllText(Repository.Path("LICENSE")));
    }

    [Fact]
    public void Readme_is_the_package_readme_with_the_apphost_snippet()
    {
        Assert.Equal("README.md", pack.Value("readme"));
        var readme = System.Text.Encoding.UTF8.GetString(pack.Read("README.md"));
        Assert.Equal(File.ReadAllText(Repository.Path("src", "LocalTls.Hosting", "README.md")), readme);
        Assert.Contains("builder.AddStepCa(", readme);
        Assert.Contains(".WithLocalTls(", readme);
        Assert.DoesNotContain("](", readme);   // link-free: nuget.org shows it without the repository
    }

    [Fact]
    public void Icon_is_a_png_in_the_package()
    {
        Assert.Equal("icon.png", pack.Value("icon"));
        var icon = pack.Read("icon.png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, icon[..8]);
        Assert.Equal(File.ReadAllBytes(Repository.Path("src", "LocalTls.Hosting", "icon.png")), icon);
    }

    [Fact]
    public void Description_and_tags_say_what_it_is()
    {
        var description = pack.Value("description");
        Assert.False(string.IsNullOrWhiteSpace(description));
        Assert.Contains("Aspire", description);
        Assert.Contains("step-ca", description);

        var tags = (pack.Value("tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var tag in new[] { "aspire", "hosting", "tls", "acme", "step-ca", "cert-manager", "sslip.io" })
        {
            Assert.Contains(tag, tags);
        }
    }

    [Fact]
    public void Dependencies_are_what_the_library_uses_at_the_central_versions()
    {
        var group = Assert.Single(pack.Element("dependencies")!.Elements(), e => e.Name.LocalName == "group");
        Assert.Equal("net10.0", group.Attribute("targetFramework")?.Value);
        var dependencies = group.Elements()
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);

        Assert.Equal(
            ["ARSoft.Tools.Net", "Aspire.Hosting", "BouncyCastle.Cryptography", "KubernetesClient", "YamlDotNet"],
            dependencies.Keys.Order(StringComparer.Ordinal));

        // Version lifts for this repository's restore and build-time analyzers are not the package's dependencies.
        Assert.DoesNotContain("Polly.Core", dependencies.Keys);
        Assert.DoesNotContain("Nerdbank.MessagePack", dependencies.Keys);
        Assert.DoesNotContain("Microsoft.CodeAnalysis.PublicApiAnalyzers", dependencies.Keys);

        var central = XDocument.Load(Repository.Path("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => e.Attribute("Include")!.Value, e => e.Attribute("Version")!.Value);
        foreach (var (id, version) in dependencies)
        {
            Assert.Equal(central[id], version);
        }
    }

    [Fact]
    public void Assembly_and_its_xml_docs_are_under_lib_net10()
    {
        var entries = pack.Entries();
        Assert.Contains("lib/net10.0/LocalTls.Hosting.dll", entries);
        Assert.Contains("lib/net10.0/LocalTls.Hosting.xml", entries);

        var docs = XDocument.Parse(System.Text.Encoding.UTF8.GetString(pack.Read("lib/net10.0/LocalTls.Hosting.xml")));
        var addStepCa = docs.Descendants("member")
            .Single(m => m.Attribute("name")!.Value.StartsWith("M:Aspire.Hosting.StepCaBuilderExtensions.AddStepCa(", StringComparison.Ordinal));
        Assert.NotNull(addStepCa.Element("summary"));
        Assert.NotNull(addStepCa.Element("example"));
    }

    [Fact]
    public void Symbols_package_holds_the_pdb_and_the_nuspec_names_the_commit()
    {
        Assert.True(File.Exists(pack.SymbolsPath), $"no {Path.GetFileName(pack.SymbolsPath)} beside the package");
        using (var symbols = ZipFile.OpenRead(pack.SymbolsPath))
        {
            Assert.Contains(symbols.Entries, e => e.FullName == "lib/net10.0/LocalTls.Hosting.pdb");
        }

        var repository = pack.Element("repository");
        Assert.NotNull(repository);
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Matches(new Regex("^[0-9a-f]{40}$"), repository.Attribute("commit")?.Value ?? "");
    }
}
