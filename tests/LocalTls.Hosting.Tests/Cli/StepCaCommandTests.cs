using System.Text.Json;
using LocalTls.Pki;
using LocalTls.StepCa;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Cli;

public class StepCaCommandTests
{
    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string[] AllFileContents(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(File.ReadAllText)];

    [Fact]
    public void Host_layout_creates_the_ca_writes_the_files_and_prints_url_fingerprint_and_command()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("step-ca");

        var result = LocalTlsCli.Run("stepca", "config", "--out", output, "--layout", "host", "--address", "127.0.0.1:9443", "--caroot", dir.Combine("store"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        var store = new CaStore(dir.Combine("store"));
        var material = store.Load();
        Assert.Contains($"Created a new CA in {store.Directory}", result.Stdout);
        Assert.Contains($"Wrote step-ca's files for the host layout in {output}:", result.Stdout);
        foreach (var file in new[] { "config/ca.json", "config/defaults.json", "certs/root_ca.crt", "certs/intermediate_ca.crt", "secrets/intermediate_ca_key" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
            Assert.Contains(file, result.Stdout);
        }

        Assert.True(Directory.Exists(Path.Combine(output, "db")));
        Assert.False(File.Exists(Path.Combine(output, "secrets", "password")));
        Assert.Contains("ACME directory:   https://127.0.0.1:9443/acme/acme/directory", result.Stdout);
        Assert.Contains($"Root fingerprint: {material.RootFingerprint}", result.Stdout);
        Assert.Contains($"{Environment.NewLine}  step-ca {output}/config/ca.json{Environment.NewLine}", result.Stdout);
        Assert.Contains("run 'localtls dns serve' and add '--resolver 127.0.0.1:53535' before the ca.json path", result.Stdout);

        // The root key is in the store and nowhere under --out.
        Assert.NotNull(material.RootKeyPem);
        Assert.DoesNotContain(AllFileContents(output), c => c.Contains(material.RootKeyPem!.Trim(), StringComparison.Ordinal));
        Assert.Equal(material.IntermediateKeyPem.Trim(), File.ReadAllText(Path.Combine(output, "secrets", "intermediate_ca_key")).Trim());

        var ca = ReadJson(Path.Combine(output, "config", "ca.json"));
        Assert.Equal(Path.Combine(output, "certs", "root_ca.crt"), ca.GetProperty("root").GetString());
        Assert.Equal(Path.Combine(output, "secrets", "intermediate_ca_key"), ca.GetProperty("key").GetString());
        Assert.Equal(Path.Combine(output, "db"), ca.GetProperty("db").GetProperty("dataSource").GetString());
        Assert.Equal("127.0.0.1:9443", ca.GetProperty("address").GetString());
        Assert.Equal(["127.0.0.1", "localhost"], ca.GetProperty("dnsNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(material.RootFingerprint, ReadJson(Path.Combine(output, "config", "defaults.json")).GetProperty("fingerprint").GetString());
    }

    [Fact]
    public void A_second_run_reuses_the_ca_and_says_it_replaced_the_files()
    {
        using var dir = new TempDirectory();
        var material = new CaStore(dir.Combine("store")).LoadOrCreate();

        var first = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"));
        var second = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"));

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.DoesNotContain("Created a new CA", first.Stdout);
        Assert.StartsWith("Wrote step-ca's files", first.Stdout);
        Assert.StartsWith("Replaced step-ca's files", second.Stdout);
        Assert.Contains(material.RootFingerprint, second.Stdout);
    }

    [Fact]
    public void Container_layout_points_inside_home_step_but_writes_under_out()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("mount");

        var result = LocalTlsCli.Run("stepca", "config", "--out", output, "--caroot", dir.Combine("store"), "--provisioner", "dev");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("for the container layout", result.Stdout);
        var ca = ReadJson(Path.Combine(output, "config", "ca.json"));
        Assert.Equal("/home/step/certs/root_ca.crt", ca.GetProperty("root").GetString());
        Assert.Equal("/home/step/certs/intermediate_ca.crt", ca.GetProperty("crt").GetString());
        Assert.Equal("/home/step/secrets/intermediate_ca_key", ca.GetProperty("key").GetString());
        Assert.Equal("/home/step/db", ca.GetProperty("db").GetProperty("dataSource").GetString());
        Assert.Equal(":9000", ca.GetProperty("address").GetString());
        Assert.Equal([.. StepCaOptions.ClusterServiceDnsNames, "localhost", "127.0.0.1"], ca.GetProperty("dnsNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("dev", ca.GetProperty("authority").GetProperty("provisioners")[0].GetProperty("name").GetString());
        Assert.Equal("/home/step/config/ca.json", ReadJson(Path.Combine(output, "config", "defaults.json")).GetProperty("ca-config").GetString());
        Assert.True(File.Exists(Path.Combine(output, "secrets", "intermediate_ca_key")));

        Assert.Contains("ACME directory:   https://step-ca.step-ca.svc.cluster.local:9000/acme/dev/directory", result.Stdout);
        Assert.Contains($"mount {output} there", result.Stdout);
        Assert.Contains($"{Environment.NewLine}  step-ca /home/step/config/ca.json{Environment.NewLine}", result.Stdout);
        Assert.DoesNotContain("--resolver 127.0.0.1", result.Stdout);
    }

    [Fact]
    public void Dns_names_replace_the_defaults_and_the_db_path_is_used_as_given()
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"),
            "--dns-name", "ca.127.0.0.1.sslip.io", "--dns-name", "127.0.0.1", "--db-path", "/data/step-ca");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var ca = ReadJson(dir.Combine("out", "config", "ca.json"));
        Assert.Equal(["ca.127.0.0.1.sslip.io", "127.0.0.1"], ca.GetProperty("dnsNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/data/step-ca", ca.GetProperty("db").GetProperty("dataSource").GetString());
        Assert.Contains("https://ca.127.0.0.1.sslip.io:9000/acme/acme/directory", result.Stdout);
        Assert.Contains("not used: ca.json points at /data/step-ca", result.Stdout);

        var relative = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"), "--db-path", "data/db");
        Assert.Equal(2, relative.ExitCode);
        Assert.Contains("--db-path 'data/db' is not an absolute path inside the container", relative.Stderr);
    }

    [Theory]
    [InlineData("localhost", "--address 'localhost' has no port")]
    [InlineData("https://127.0.0.1:9000", "--address 'https://127.0.0.1:9000' has a URL scheme")]
    [InlineData("127.0.0.1:99999", "a port is a number from 1 to 65535")]
    public void A_bad_address_is_exit_2_and_writes_nothing(string address, string expected)
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--layout", "host", "--address", address, "--caroot", dir.Combine("store"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Contains("'127.0.0.1:9000'", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
        Assert.False(Directory.Exists(dir.Combine("store")));
    }

    [Theory]
    [InlineData("my provisioner", "--provisioner 'my provisioner' is not URL-safe")]
    [InlineData("acme/x", "--provisioner 'acme/x' is not URL-safe")]
    [InlineData(" ", "--provisioner is empty")]
    public void A_bad_provisioner_name_is_exit_2(string name, string expected)
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--provisioner", name, "--caroot", dir.Combine("store"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void A_bad_dns_name_is_exit_2()
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--dns-name", "https://ca.test:9000", "--caroot", dir.Combine("store"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--dns-name 'https://ca.test:9000' is not a bare DNS name or IP address: write 'ca.test'", result.Stderr);
    }

    [Fact]
    public void A_dns_name_outside_the_name_constraints_is_exit_2_with_what_is_permitted()
    {
        using var dir = new TempDirectory();
        new CaStore(dir.Combine("store")).LoadOrCreate();

        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--dns-name", "localhost", "--dns-name", "ca.example.com", "--caroot", dir.Combine("store"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'ca.example.com' is outside the root's name constraints", result.Stderr);
        Assert.DoesNotContain("'localhost'", result.Stderr);
        Assert.Contains("sslip.io", result.Stderr);
        Assert.Contains("localtls ca init --force --permit-dns", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void An_unwritable_out_folder_is_exit_3_and_names_it()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("file"), "not a folder");
        var output = dir.Combine("file", "step-ca");

        var result = LocalTlsCli.Run("stepca", "config", "--out", output, "--caroot", dir.Combine("store"));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"Cannot write step-ca's files under '{output}'", result.Stderr);
        Assert.Contains("--out", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void A_missing_password_file_is_exit_2_and_says_how_to_make_one()
    {
        using var dir = new TempDirectory();
        var missing = dir.Combine("nope.txt");

        var result = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--password-file", missing, "--caroot", dir.Combine("store"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--password-file {missing}: the file does not exist", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));

        File.WriteAllText(dir.Combine("empty.txt"), "\n");
        var empty = LocalTlsCli.Run("stepca", "config", "--out", dir.Combine("out"), "--password-file", dir.Combine("empty.txt"), "--caroot", dir.Combine("store"));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("the first line is empty", empty.Stderr);
    }

    [Fact]
    public void Help_explains_every_option()
    {
        var result = LocalTlsCli.Run("stepca", "config", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("never the root key", result.Stdout);
        foreach (var option in new[] { "--out <DIR> (REQUIRED)", "--layout <container|host>", "--address <ADDR>", "--dns-name <NAME>", "--provisioner <NAME>", "--db-path <PATH>", "--password-file <FILE>", "--caroot <DIR>" })
        {
            Assert.Contains(option, result.Stdout);
        }

        Assert.Contains("mounted at /home/step", result.Stdout);
        Assert.Contains("[default: container]", result.Stdout);
        Assert.Contains("[default: acme]", result.Stdout);
        Assert.Contains("stepca", LocalTlsCli.Run("--help").Stdout);
    }

    [Fact]
    public async Task The_host_layout_boots_the_real_step_ca_with_the_printed_command_line()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("step ca");
        var port = LoopbackPort.GetFree();
        File.WriteAllText(dir.Combine("password"), "correct horse battery staple\n");

        var result = LocalTlsCli.Run("stepca", "config", "--out", output, "--layout", "host", "--address", $"127.0.0.1:{port}",
            "--password-file", dir.Combine("password"), "--caroot", dir.Combine("store"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(Path.Combine(output, "secrets", "intermediate_ca_key")));
        Assert.Equal("correct horse battery staple", File.ReadAllText(Path.Combine(output, "secrets", "password")));

        await using var ca = await StepCaProcess.StartAsync(
            new StepCaProcessOptions { Layout = StepCaLayout.Host(output), PasswordFile = true, ExecutablePath = StepCaBinary.Path },
            TestContext.Current.CancellationToken);

        Assert.True(await ca.IsHealthyAsync(TestContext.Current.CancellationToken));
        var material = new CaStore(dir.Combine("store")).Load();
        Assert.Equal(material.RootFingerprint, ca.RootFingerprint);
        Assert.Equal(new Uri($"https://127.0.0.1:{port}"), ca.PrimaryUrl);
        // The printed command is the one that ran, quoted for a shell (the folder has a space).
        Assert.Contains($"  step-ca --password-file '{output}/secrets/password' '{output}/config/ca.json'", result.Stdout);
        Assert.Equal([$"--password-file", $"{output}/secrets/password", $"{output}/config/ca.json"], ca.Arguments);

        using var client = ca.CreateHttpClient();
        var directory = await client.GetStringAsync($"https://127.0.0.1:{port}/acme/acme/directory", TestContext.Current.CancellationToken);
        Assert.Contains($"https://127.0.0.1:{port}/acme/acme/new-order", directory);
        Assert.Contains($"ACME directory:   https://127.0.0.1:{port}/acme/acme/directory", result.Stdout);
    }
}
