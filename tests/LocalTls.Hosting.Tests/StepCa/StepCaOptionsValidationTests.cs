using LocalTls.StepCa;

namespace LocalTls.Tests.StepCa;

public class StepCaOptionsValidationTests
{
    private static string SingleError(StepCaOptions options) => Assert.Single(options.Validate());

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(new StepCaOptions().Validate());

    [Theory]
    [InlineData("9000", "has no port")]
    [InlineData("::1:9000", "IPv6 address without brackets")]
    [InlineData(":99999", "port '99999'")]
    [InlineData(":0", "port '0'")]
    [InlineData("https://localhost:9000", "URL scheme")]
    [InlineData("", "is empty")]
    [InlineData("[localhost]:9000", "not an IPv6 address")]
    [InlineData("bad host:9000", "neither a host name nor an IP address")]
    public void A_bad_address_says_how_to_write_one(string address, string problem)
    {
        var error = SingleError(new StepCaOptions { Address = address });
        Assert.Contains(problem, error);
        Assert.Contains("Write ':9000' to listen on every interface, '127.0.0.1:9000' for one address, or '[::1]:9000' for IPv6.", error);
    }

    [Theory]
    [InlineData(":9000")]
    [InlineData("127.0.0.1:9000")]
    [InlineData("[::1]:9443")]
    [InlineData("step-ca.local:443")]
    public void Good_addresses_pass(string address) => Assert.Empty(new StepCaOptions { Address = address }.Validate());

    [Fact]
    public void Empty_dns_names_are_rejected_with_an_example()
    {
        var error = SingleError(new StepCaOptions { DnsNames = [] });
        Assert.Contains("DnsNames is empty", error);
        Assert.Contains("\"step-ca.step-ca.svc.cluster.local\"", error);
    }

    [Theory]
    [InlineData("https://ca.test:9000", "write 'ca.test'")]
    [InlineData("ca.test:9000", "write 'ca.test'")]
    [InlineData("ca.test/path", "write 'ca.test'")]
    [InlineData("bad_name!", "neither a DNS name nor an IP address")]
    [InlineData("1.2.3", "neither a DNS name nor an IP address")]
    public void A_dns_name_that_is_not_bare_says_what_to_write(string name, string expected)
    {
        var error = SingleError(new StepCaOptions { DnsNames = ["step-ca", name] });
        Assert.Contains($"'{name}'", error);
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("*.apps.127.0.0.1.sslip.io")]
    [InlineData("step-ca.step-ca.svc.cluster.local.")]
    public void Good_dns_names_pass(string name) => Assert.Empty(new StepCaOptions { DnsNames = [name] }.Validate());

    [Theory]
    [InlineData("my acme", "my-acme")]
    [InlineData("ACME/Dev", "acme-dev")]
    [InlineData("-acme", "acme")]
    [InlineData("é", "acme")]
    public void A_provisioner_name_that_is_not_url_safe_gets_a_suggestion(string name, string suggestion)
    {
        var error = SingleError(new StepCaOptions { Provisioners = [new AcmeProvisionerOptions { Name = name }] });
        Assert.Contains($"ACME provisioner name '{name}' is not URL-safe", error);
        Assert.Contains("/acme/{name}/directory", error);
        Assert.Contains($"e.g. '{suggestion}'", error);
    }

    [Fact]
    public void Provisioner_names_must_be_unique_and_present()
    {
        Assert.Contains("used twice", SingleError(new StepCaOptions { Provisioners = [new(), new() { Name = "ACME" }] }));
        Assert.Contains("has no name", SingleError(new StepCaOptions { Provisioners = [new() { Name = " " }] }));
        Assert.Contains("Provisioners is empty: add an ACME provisioner", SingleError(new StepCaOptions { Provisioners = [] }));
    }

    [Fact]
    public void Challenges_must_be_listed_once_each()
    {
        Assert.Contains("has no challenges: list at least one of Http01, Dns01, TlsAlpn01", SingleError(new StepCaOptions { Provisioners = [new() { Challenges = [] }] }));
        Assert.Contains("lists challenge http-01 2 times: list it once", SingleError(new StepCaOptions { Provisioners = [new() { Challenges = [StepCaAcmeChallenge.Http01, StepCaAcmeChallenge.Http01] }] }));
        Assert.Contains("is not an ACME challenge", SingleError(new StepCaOptions { Provisioners = [new() { Challenges = [(StepCaAcmeChallenge)7] }] }));
    }

    [Fact]
    public void Min_above_max_says_which_to_raise()
    {
        var error = SingleError(new StepCaOptions { Claims = new() { MinTlsCertDuration = TimeSpan.FromHours(2), MaxTlsCertDuration = TimeSpan.FromHours(1), DefaultTlsCertDuration = TimeSpan.FromHours(1) } });
        Assert.StartsWith("The authority claims (StepCaOptions.Claims): MinTlsCertDuration (2h) is more than MaxTlsCertDuration (1h).", error);
        Assert.Contains("Set MaxTlsCertDuration to at least 2h, or MinTlsCertDuration to at most 1h.", error);
    }

    [Fact]
    public void A_default_above_max_says_what_to_change()
    {
        var error = SingleError(new StepCaOptions { Claims = new() { MaxTlsCertDuration = TimeSpan.FromHours(24), DefaultTlsCertDuration = TimeSpan.FromHours(48), MinTlsCertDuration = TimeSpan.FromMinutes(5) } });
        Assert.Contains("DefaultTlsCertDuration (48h) is more than MaxTlsCertDuration (24h)", error);
        Assert.Contains("set MaxTlsCertDuration to at least 48h, or DefaultTlsCertDuration to at most 24h", error);
    }

    [Fact]
    public void A_default_below_min_is_rejected()
    {
        var error = SingleError(new StepCaOptions { Claims = new() { MinTlsCertDuration = TimeSpan.FromHours(1), DefaultTlsCertDuration = TimeSpan.FromMinutes(30) } });
        Assert.Contains("DefaultTlsCertDuration (30m) is less than MinTlsCertDuration (1h)", error);
    }

    [Fact]
    public void An_inherited_default_outside_an_explicit_max_names_where_it_comes_from()
    {
        var error = SingleError(new StepCaOptions { Claims = new() { MaxTlsCertDuration = TimeSpan.FromHours(1) } });
        Assert.Contains("DefaultTlsCertDuration (24h, inherited from step-ca's default) is more than MaxTlsCertDuration (1h)", error);
    }

    [Fact]
    public void Provisioner_claims_are_checked_against_the_authority_claims()
    {
        var error = SingleError(new StepCaOptions { Provisioners = [new() { Claims = new() { MaxTlsCertDuration = TimeSpan.FromMinutes(1) } }] });
        Assert.StartsWith("The claims of ACME provisioner 'acme': MinTlsCertDuration (5m, inherited from the authority claims) is more than MaxTlsCertDuration (1m).", error);
    }

    [Fact]
    public void A_provisioner_default_outside_the_inherited_range_moves_the_range_like_step_ca_does()
    {
        // step-ca's Claimer: an explicit default below the inherited min (or above the inherited max) becomes the min (max).
        Assert.Empty(new StepCaOptions { Provisioners = [new() { Claims = new() { DefaultTlsCertDuration = TimeSpan.FromMinutes(1) } }] }.Validate());
        Assert.Empty(new StepCaOptions { Provisioners = [new() { Claims = new() { DefaultTlsCertDuration = TimeSpan.FromDays(30) } }] }.Validate());
        Assert.NotEmpty(new StepCaOptions { Provisioners = [new() { Claims = new() { MinTlsCertDuration = TimeSpan.FromMinutes(10), DefaultTlsCertDuration = TimeSpan.FromMinutes(1) } }] }.Validate());
    }

    [Fact]
    public void Durations_must_be_positive()
    {
        var error = SingleError(new StepCaOptions { Claims = new() { MinTlsCertDuration = TimeSpan.Zero } });
        Assert.Contains("MinTlsCertDuration is 0s; it must be more than zero, e.g. 5m, or null to inherit.", error);
    }

    [Fact]
    public void Database_problems_say_what_to_do()
    {
        Assert.Contains("applies to badger only", SingleError(new StepCaOptions { Database = new() { Type = StepCaDatabaseType.BBolt, BadgerFileLoadingMode = BadgerFileLoadingMode.FileIO } }));
        Assert.Contains("ACME in step-ca needs a database", SingleError(new StepCaOptions { Database = null! }));
        Assert.Contains("leave it null to use the layout's db folder", SingleError(new StepCaOptions { Database = new() { DataSource = " " } }));
    }

    [Fact]
    public void Rendering_invalid_options_throws_with_every_problem()
    {
        var options = new StepCaOptions { Address = "9000", DnsNames = [], Provisioners = [new() { Name = "a b" }] };
        var e = Assert.Throws<StepCaConfigurationException>(() => StepCaConfig.RenderCaJson(StepCaLayout.Container, options));
        Assert.Equal(3, e.Errors.Count);
        Assert.Contains("Address '9000' has no port", e.Message);
        Assert.Contains("DnsNames is empty", e.Message);
        Assert.Contains("'a b' is not URL-safe", e.Message);
        Assert.Throws<StepCaConfigurationException>(() => StepCaConfig.BaseUrl(options));
    }
}
