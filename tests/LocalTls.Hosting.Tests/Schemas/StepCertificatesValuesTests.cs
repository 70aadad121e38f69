using System.Text.Json.Nodes;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>Our values for the step-certificates chart are checked against the chart's own values.yaml.</summary>
public class StepCertificatesValuesTests
{
    /// <summary>The shape of values LocalTls hands the chart: inject mode with our own CA material.</summary>
    private const string OurValues = """
        inject:
          enabled: true
          config:
            files:
              ca.json:
                root: /home/step/certs/root_ca.crt
                authority:
                  provisioners:
                    - {type: ACME, name: acme}
                  anyNewStepCaKey: true
              defaults.json:
                ca-url: https://step-ca.step-ca.svc.cluster.local:9000
          certificates:
            root_ca: "-----BEGIN CERTIFICATE-----"
            intermediate_ca: "-----BEGIN CERTIFICATE-----"
          secrets:
            ca_password: aHVudGVyMg==
            x509:
              enabled: true
              intermediate_ca_key: "-----BEGIN EC PRIVATE KEY-----"
            ssh:
              enabled: false
        bootstrap:
          enabled: false
          containerSecurityContext:
            seccompProfile: {type: RuntimeDefault}
        image:
          tag: 0.30.0
          imagePullSecrets: [{name: regcred}]
        ca:
          db:
            persistent: false
            existingClaim: step-ca-db
        service:
          annotations: {example.com/owner: localtls}
        resources:
          requests: {cpu: 100m}
        podSecurityContext:
          seccompProfile: {type: RuntimeDefault}
        tolerations:
          - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
        """;

    private static JsonNode Values(string yaml) => YamlJson.Parse(yaml)!;

    [Fact]
    public void Chart_defaults_load_as_JSON()
    {
        var defaults = StepCertificatesChart.LoadDefaultValues();

        Assert.Equal("StatefulSet", (string?)defaults["kind"]);
        Assert.Equal(9000, (long?)defaults["service"]!["targetPort"]);
        Assert.NotNull(defaults["inject"]!["config"]!["files"]!["ca.json"]);
    }

    [Fact]
    public void Chart_defaults_pass_their_own_check()
    {
        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(StepCertificatesChart.LoadDefaultValues()));
    }

    [Fact]
    public void Our_values_pass()
    {
        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(Values(OurValues)));
    }

    [Fact]
    public void Misspelt_key_is_reported_with_its_path()
    {
        var values = Values(OurValues);
        values["inject"]!["secrets"]!["x509"]!["intermediate_key"] = "oops";
        values["inject"]!.AsObject().Add("enabeld", true);

        var errors = StepCertificatesChart.ValidateChartValues(values);
        SchemaAssert.HasError(errors, "/inject/secrets/x509/intermediate_key", "inject.secrets.x509.intermediate_key");
        SchemaAssert.HasError(errors, "/inject/enabeld", "did you mean \"enabled\"");
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void Unknown_top_level_key_is_reported()
    {
        var values = Values(OurValues);
        values["replicas"] = 1;

        SchemaAssert.HasError(StepCertificatesChart.ValidateChartValues(values), "/replicas", "Helm would ignore it");
    }

    [Fact]
    public void Shape_mismatch_is_reported()
    {
        var values = Values(OurValues);
        values["service"]!["port"] = new JsonObject { ["number"] = 443 };
        values["ca"]!["db"]!["accessModes"] = "ReadWriteOnce";

        var errors = StepCertificatesChart.ValidateChartValues(values);
        SchemaAssert.HasError(errors, "/service/port", "is a scalar in the chart, not a map");
        SchemaAssert.HasError(errors, "/ca/db/accessModes", "is a list in the chart, not a scalar");
    }

    [Fact]
    public void Open_maps_take_any_keys()
    {
        var values = Values("""
            nodeSelector: {kubernetes.io/os: linux}
            affinity: {nodeAffinity: {anything: goes}}
            podExtraLabels: {team: platform}
            serviceaccount: {annotations: {a: b}, labels: {c: d}}
            ca: {containerSecurityContext: {privileged: false}}
            """);

        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(values));
    }

    [Fact]
    public void Values_must_be_a_map()
    {
        SchemaAssert.HasError(StepCertificatesChart.ValidateChartValues(new JsonArray()), "", "must be a map");
    }
}
