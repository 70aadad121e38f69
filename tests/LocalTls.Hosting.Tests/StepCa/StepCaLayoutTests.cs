using LocalTls.StepCa;

using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

public class StepCaLayoutTests
{
    [Fact]
    public void Container_layout_is_the_smallstep_image_layout()
    {
        var layout = StepCaLayout.Container;
        Assert.Equal("/home/step", layout.Root);
        Assert.Equal("/home/step/config", layout.ConfigDirectory);
        Assert.Equal("/home/step/certs", layout.CertsDirectory);
        Assert.Equal("/home/step/secrets", layout.SecretsDirectory);
        Assert.Equal("/home/step/db", layout.DbDirectory);
        Assert.Equal("/home/step/config/ca.json", layout.CaConfigPath);
        Assert.Equal("/home/step/config/defaults.json", layout.DefaultsPath);
        Assert.Equal("/home/step/certs/root_ca.crt", layout.RootCertificatePath);
        Assert.Equal("/home/step/certs/intermediate_ca.crt", layout.IntermediateCertificatePath);
        Assert.Equal("/home/step/secrets/intermediate_ca_key", layout.IntermediateKeyPath);
        Assert.Equal("/home/step/secrets/password", layout.PasswordPath);
        Assert.True(layout.IsPosix);
        Assert.Null(layout.MappedFrom);
    }

    [Fact]
    public void Host_layout_has_the_same_folders_under_any_directory()
    {
        using var temp = new TempDirectory();
        var layout = StepCaLayout.Host(temp.Path + Path.DirectorySeparatorChar);
        Assert.Equal(temp.Path, layout.Root);
        Assert.Equal(Path.Combine(temp.Path, "config", "ca.json"), layout.CaConfigPath);
        Assert.Equal(Path.Combine(temp.Path, "secrets", "password"), layout.PasswordPath);
        Assert.Equal(Path.Combine(temp.Path, "db"), layout.DbDirectory);
    }

    [Fact]
    public void Host_layout_makes_relative_paths_absolute()
    {
        var layout = StepCaLayout.Host("relative-ca");
        Assert.True(Path.IsPathFullyQualified(layout.Root));
        Assert.Equal(Path.GetFullPath("relative-ca"), layout.Root);
    }

    [Fact]
    public void Mapping_the_container_layout_keeps_its_structure_under_a_host_folder()
    {
        using var temp = new TempDirectory();
        var mapped = StepCaLayout.Container.MapTo(temp.Path);

        Assert.Same(StepCaLayout.Container, mapped.MappedFrom);
        Assert.Equal(temp.Path, mapped.Root);
        foreach (var (container, host) in new[]
        {
            (StepCaLayout.Container.CaConfigPath, mapped.CaConfigPath),
            (StepCaLayout.Container.IntermediateKeyPath, mapped.IntermediateKeyPath),
            (StepCaLayout.Container.DbDirectory, mapped.DbDirectory),
        })
        {
            var relative = container["/home/step/".Length..];
            Assert.Equal(Path.Combine(temp.Path, relative.Replace('/', Path.DirectorySeparatorChar)), host);
        }

        Assert.NotEqual(StepCaLayout.Host(temp.Path), mapped);
        Assert.Contains("mapped from /home/step", mapped.ToString());
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("config//ca.json")]
    [InlineData("./config")]
    public void Resolve_rejects_paths_outside_the_layout(string relative)
    {
        var e = Assert.Throws<ArgumentException>(() => StepCaLayout.Container.Resolve(relative));
        Assert.Contains("relative path inside the layout", e.Message);
    }

    [Fact]
    public void Command_line_has_the_flags_before_the_config_path()
    {
        Assert.Equal(["/home/step/config/ca.json"], StepCaCommandLine.Arguments(StepCaLayout.Container));
        Assert.Equal(
            ["--password-file", "/home/step/secrets/password", "/home/step/config/ca.json"],
            StepCaCommandLine.Arguments(StepCaLayout.Container, passwordFile: true));
        Assert.Equal(
            ["--password-file", "/home/step/secrets/password", "--resolver", "127.0.0.1:5353", "/home/step/config/ca.json"],
            StepCaCommandLine.Arguments(StepCaLayout.Container, passwordFile: true, resolver: "127.0.0.1:5353"));
        Assert.Equal(
            ["--resolver", "[::1]:53", "/home/step/config/ca.json"],
            StepCaCommandLine.Arguments(StepCaLayout.Container, resolver: "[::1]:53"));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData(":53")]
    [InlineData("dns://127.0.0.1:53")]
    [InlineData("127.0.0.1:0")]
    public void Command_line_rejects_a_resolver_that_is_not_host_and_port(string resolver)
    {
        var e = Assert.Throws<ArgumentException>(() => StepCaCommandLine.Arguments(StepCaLayout.Container, resolver: resolver));
        Assert.Contains("host:port, e.g. '127.0.0.1:5353'", e.Message);
    }
}
