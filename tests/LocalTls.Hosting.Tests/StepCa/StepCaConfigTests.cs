using System.Text.Json.Nodes;
using LocalTls.StepCa;

using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

public class StepCaConfigTests
{
    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static string[] Strings(JsonNode? node) => [.. node!.AsArray().Select(n => n!.GetValue<string>())];

    [Fact]
    public void Default_ca_json_for_the_container_has_db_claims_provisioner_names_and_image_paths()
    {
        var json = Parse(StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions()));

        Assert.Equal("/home/step/certs/root_ca.crt", (string?)json["root"]);
        Assert.Equal("/home/step/certs/intermediate_ca.crt", (string?)json["crt"]);
        Assert.Equal("/home/step/secrets/intermediate_ca_key", (string?)json["key"]);
        Assert.Equal(":9000", (string?)json["address"]);
        Assert.Equal(["step-ca.step-ca.svc.cluster.local", "step-ca.step-ca.svc"], Strings(json["dnsNames"]));
        Assert.Equal("text", (string?)json["logger"]!["format"]);
        Assert.Equal("badgerv2", (string?)json["db"]!["type"]);
        Assert.Equal("/home/step/db", (string?)json["db"]!["dataSource"]);
        Assert.Null(json["db"]!["badgerFileLoadingMode"]);

        var claims = json["authority"]!["claims"]!;
        Assert.Equal("5m", (string?)claims["minTLSCertDuration"]);
        Assert.Equal("24h", (string?)claims["maxTLSCertDuration"]);
        Assert.Equal("24h", (string?)claims["defaultTLSCertDuration"]);

        var provisioner = Assert.Single(json["authority"]!["provisioners"]!.AsArray())!.AsObject();
        Assert.Equal("ACME", (string?)provisioner["type"]);
        Assert.Equal("acme", (string?)provisioner["name"]);
        Assert.False(provisioner.ContainsKey("forceCN"));
        Assert.Equal(["http-01", "dns-01", "tls-alpn-01"], Strings(provisioner["challenges"]));
        Assert.Equal("2160h", (string?)provisioner["claims"]!["maxTLSCertDuration"]);
        Assert.Null(provisioner["claims"]!["defaultTLSCertDuration"]);
    }

    [Fact]
    public void Ca_json_is_deterministic_with_a_fixed_key_order_and_unix_line_ends()
    {
        var first = StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions());
        var second = StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions());

        Assert.Equal(first, second);
        Assert.DoesNotContain("\r", first);
        Assert.EndsWith("}\n", first);
        Assert.StartsWith("{\n  \"root\": ", first);
        Assert.Equal(["root", "crt", "key", "address", "dnsNames", "logger", "db", "authority"], Parse(first).Select(p => p.Key));
        Assert.Equal(["claims", "provisioners"], Parse(first)["authority"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["type", "name", "challenges", "claims"], Parse(first)["authority"]!["provisioners"]![0]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Host_layout_paths_go_into_ca_json()
    {
        using var temp = new TempDirectory();
        var layout = StepCaLayout.Host(temp.Path);
        var json = Parse(StepCaConfig.RenderCaJson(layout, new StepCaOptions()));

        Assert.Equal(Path.Combine(temp.Path, "certs", "root_ca.crt"), (string?)json["root"]);
        Assert.Equal(Path.Combine(temp.Path, "certs", "intermediate_ca.crt"), (string?)json["crt"]);
        Assert.Equal(Path.Combine(temp.Path, "secrets", "intermediate_ca_key"), (string?)json["key"]);
        Assert.Equal(Path.Combine(temp.Path, "db"), (string?)json["db"]!["dataSource"]);
    }

    [Fact]
    public void Options_change_logger_db_names_and_provisioners()
    {
        var options = new StepCaOptions
        {
            Address = "127.0.0.1:9443",
            LogFormat = StepCaLogFormat.Json,
            Database = new StepCaDatabaseOptions { BadgerFileLoadingMode = BadgerFileLoadingMode.FileIO },
            Claims = new StepCaClaimsOptions { MaxTlsCertDuration = TimeSpan.FromHours(48), DefaultTlsCertDuration = TimeSpan.FromMinutes(90) },
            Provisioners =
            [
                new AcmeProvisionerOptions { ForceCN = true, Challenges = [StepCaAcmeChallenge.Http01], Claims = null },
                new AcmeProvisionerOptions { Name = "long-lived", Claims = new StepCaClaimsOptions { MaxTlsCertDuration = TimeSpan.FromDays(365), DefaultTlsCertDuration = TimeSpan.FromDays(30) } },
            ],
        };
        options.DnsNames.Add("localhost");
        options.DnsNames.Add("127.0.0.1");
        options.DnsNames.Add("LOCALHOST");

        var json = Parse(StepCaConfig.RenderCaJson(StepCaLayout.Container, options));

        Assert.Equal("127.0.0.1:9443", (string?)json["address"]);
        Assert.Equal("json", (string?)json["logger"]!["format"]);
        Assert.Equal("fileio", (string?)json["db"]!["badgerFileLoadingMode"]);
        Assert.Equal(["step-ca.step-ca.svc.cluster.local", "step-ca.step-ca.svc", "localhost", "127.0.0.1"], Strings(json["dnsNames"]));
        Assert.Equal("48h", (string?)json["authority"]!["claims"]!["maxTLSCertDuration"]);
        Assert.Equal("1h30m", (string?)json["authority"]!["claims"]!["defaultTLSCertDuration"]);
        Assert.Null(json["authority"]!["claims"]!["minTLSCertDuration"]);

        var provisioners = json["authority"]!["provisioners"]!.AsArray();
        Assert.Equal(2, provisioners.Count);
        Assert.True((bool)provisioners[0]!["forceCN"]!);
        Assert.Equal(["http-01"], Strings(provisioners[0]!["challenges"]));
        Assert.Null(provisioners[0]!["claims"]);
        Assert.Equal("long-lived", (string?)provisioners[1]!["name"]);
        Assert.Equal("8760h", (string?)provisioners[1]!["claims"]!["maxTLSCertDuration"]);
        Assert.Equal("720h", (string?)provisioners[1]!["claims"]!["defaultTLSCertDuration"]);
    }

    [Fact]
    public void Bbolt_defaults_to_a_file_in_the_db_folder()
    {
        var json = Parse(StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions { Database = new() { Type = StepCaDatabaseType.BBolt } }));
        Assert.Equal("bbolt", (string?)json["db"]!["type"]);
        Assert.Equal("/home/step/db/step.db", (string?)json["db"]!["dataSource"]);

        json = Parse(StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions { Database = new() { DataSource = "/data/badger" } }));
        Assert.Equal("/data/badger", (string?)json["db"]!["dataSource"]);
    }

    [Fact]
    public void Defaults_json_has_the_four_step_cli_keys()
    {
        var fingerprint = new string('a', 62) + "0F";
        var text = StepCaConfig.RenderDefaultsJson(StepCaLayout.Container, new Uri("https://step-ca.step-ca.svc.cluster.local:9000/"), fingerprint);
        var json = Parse(text);

        Assert.Equal(["ca-url", "ca-config", "fingerprint", "root"], json.Select(p => p.Key));
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000", (string?)json["ca-url"]);
        Assert.Equal("/home/step/config/ca.json", (string?)json["ca-config"]);
        Assert.Equal(new string('a', 62) + "0f", (string?)json["fingerprint"]);
        Assert.Equal("/home/step/certs/root_ca.crt", (string?)json["root"]);
        Assert.EndsWith("}\n", text);
    }

    [Fact]
    public void Defaults_json_accepts_a_colon_separated_fingerprint_and_rejects_a_short_one()
    {
        var hex = Convert.ToHexString(new byte[32].Select((_, i) => (byte)i).ToArray());
        var colons = string.Join(":", hex.Chunk(2).Select(c => new string(c)));
        var json = Parse(StepCaConfig.RenderDefaultsJson(StepCaLayout.Container, new Uri("https://ca:9000"), colons));
        Assert.Equal(hex.ToLowerInvariant(), (string?)json["fingerprint"]);

        var e = Assert.Throws<ArgumentException>(() => StepCaConfig.RenderDefaultsJson(StepCaLayout.Container, new Uri("https://ca:9000"), "abc123"));
        Assert.Contains("64 hex digits", e.Message);
        var http = Assert.Throws<ArgumentException>(() => StepCaConfig.RenderDefaultsJson(StepCaLayout.Container, new Uri("http://ca:9000"), hex));
        Assert.Contains("https", http.Message);
    }

    [Fact]
    public void The_seed_acme_directory_url_comes_out_exactly()
    {
        var baseUrl = StepCaConfig.BaseUrl(new StepCaOptions());
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000/", baseUrl.ToString());
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory", StepCaConfig.AcmeDirectoryUrl(baseUrl, "acme").ToString());
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory", StepCaConfig.AcmeDirectoryUrl(new Uri("https://step-ca.step-ca.svc.cluster.local:9000"), "acme").AbsoluteUri);
    }

    [Theory]
    [InlineData("https://ca.test:9000", "acme", "https://ca.test:9000/acme/acme/directory")]
    [InlineData("https://ca.test:9000/", "long-lived", "https://ca.test:9000/acme/long-lived/directory")]
    [InlineData("https://ca.test/step/", "acme", "https://ca.test/step/acme/acme/directory")]
    [InlineData("https://[::1]:9443", "acme", "https://[::1]:9443/acme/acme/directory")]
    [InlineData("https://ca.test:9000/?x=1", "acme", "https://ca.test:9000/acme/acme/directory")]
    public void Acme_directory_url_joins_base_and_provisioner(string baseUrl, string provisioner, string expected) =>
        Assert.Equal(expected, StepCaConfig.AcmeDirectoryUrl(new Uri(baseUrl), provisioner).AbsoluteUri);

    [Fact]
    public void Base_url_uses_the_first_dns_name_and_the_address_port()
    {
        Assert.Equal("https://localhost:19443/", StepCaConfig.BaseUrl(new StepCaOptions { Address = "127.0.0.1:19443", DnsNames = ["localhost", "127.0.0.1"] }).ToString());
        Assert.Equal("https://[::1]:9000/", StepCaConfig.BaseUrl(new StepCaOptions { DnsNames = ["::1"] }).ToString());
    }

    [Theory]
    [InlineData(24 * 60 * 60, "24h")]
    [InlineData(5 * 60, "5m")]
    [InlineData(90 * 60, "1h30m")]
    [InlineData(90 * 24 * 60 * 60, "2160h")]
    [InlineData(61, "1m1s")]
    [InlineData(0, "0s")]
    [InlineData(-3600, "-1h")]
    public void Durations_are_written_the_way_go_parses_them(int seconds, string expected) =>
        Assert.Equal(expected, StepCaConfig.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Sub_second_durations_keep_their_precision()
    {
        Assert.Equal("1s500ms", StepCaConfig.FormatDuration(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("2us300ns", StepCaConfig.FormatDuration(TimeSpan.FromTicks(23)));
    }

    [Theory]
    [InlineData("2160h", 2160 * 3600.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1.5h", 5400.0)]
    [InlineData("90s", 90.0)]
    [InlineData("1s500ms", 1.5)]
    [InlineData("0", 0.0)]
    [InlineData(".5m", 30.0)]
    public void Go_durations_are_read_back(string text, double seconds)
    {
        Assert.True(StepCaConfig.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("90d")]
    [InlineData("24")]
    [InlineData("-1h")]
    [InlineData("1h 30m")]
    [InlineData("h")]
    [InlineData("99999999999999999999999999999h")]
    public void Text_that_is_not_a_go_duration_is_refused(string text) =>
        Assert.False(StepCaConfig.TryParseDuration(text, out _));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(TimeSpan.TicksPerHour * 2160)]
    [InlineData(TimeSpan.TicksPerHour + TimeSpan.TicksPerMillisecond * 7 + 3)]
    public void Formatting_and_reading_a_duration_round_trips(long ticks)
    {
        Assert.True(StepCaConfig.TryParseDuration(StepCaConfig.FormatDuration(TimeSpan.FromTicks(ticks)), out var back));
        Assert.Equal(TimeSpan.FromTicks(ticks), back);
    }

    [Fact]
    public void Challenge_names_are_the_acme_identifiers()
    {
        Assert.Equal("http-01", StepCaConfig.ChallengeName(StepCaAcmeChallenge.Http01));
        Assert.Equal("dns-01", StepCaConfig.ChallengeName(StepCaAcmeChallenge.Dns01));
        Assert.Equal("tls-alpn-01", StepCaConfig.ChallengeName(StepCaAcmeChallenge.TlsAlpn01));
    }
}
