#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // Aspire's pipeline API is how a resource publishes files in 13.x.
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using LocalTls.Cluster;
using LocalTls.StepCa;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls;

/// <summary>
/// The publish step: writes the Kubernetes manifests of every LocalTls resource, for the publishing environment,
/// into <c>{output}/localtls/</c>: <c>manifests.yaml</c> and, for each in-cluster step-ca, Helm chart values.
/// </summary>
internal static class LocalTlsPublishing
{
    public const string StepName = "localtls-manifests";
    public const string Folder = "localtls";
    /// <summary>Adds the publish step; called once per app by <see cref="LocalTlsWiring"/>.</summary>
    public static void Register(IDistributedApplicationBuilder builder)
    {
        var production = builder.Environment.IsProduction();
        builder.Pipeline.AddStep(StepName, step => GuardAsync(step, production), requiredBy: WellKnownPipelineSteps.Publish);
    }

    private static async Task GuardAsync(PipelineStepContext step, bool production)
    {
        try
        {
            await WriteAsync(step, production);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Pki.PkiException or IOException or StepCaException)
        {
            step.Logger.LogError("LocalTls could not write the manifests: {Message}", e.Message);
            // Aspire 13.6 logs a failed step but still exits 0; a publish that wrote nothing must fail the process.
            Environment.ExitCode = 1;
            throw;
        }
    }

    private static async Task WriteAsync(PipelineStepContext step, bool production)
    {
        var output = Path.Combine(step.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory(), Folder);
        var passwords = new Dictionary<StepCaResource, string?>();
        foreach (var ca in step.Model.Resources.OfType<StepCaResource>())
        {
            passwords[ca] = ca.KeyPassword is null ? null : await ca.KeyPassword.GetValueAsync(step.CancellationToken);
        }

        var set = ClusterManifests.Render(step.Model.Resources, production, ca => StepCaMaterial.Load(ca), ca => passwords[ca]);
        if (set.Skipped.Count > 0)
        {
            step.Logger.LogInformation("Not published, as they run on this machine only: {Names}. Place their step-ca in a cluster (.InCluster(k3s)) to publish them.", string.Join(", ", set.Skipped));
        }

        if (set.Objects.Count == 0)
        {
            step.Logger.LogInformation("LocalTls has no Kubernetes objects to publish.");
            return;
        }

        var files = new List<FileToWrite> { new(Path.Combine(output, "manifests.yaml"), ManifestYaml.Write(set.Objects), Secret: set.ContainsSecrets) };
        foreach (var (name, values) in set.HelmValues)
        {
            files.Add(new(Path.Combine(output, $"step-certificates-values.{name}.yaml"), ManifestYaml.WriteValues(values), Secret: true));
        }

        AtomicFiles.WriteAll(files, $"the manifests in {output}");
        step.Logger.LogInformation("Wrote {Count} Kubernetes objects for the {Environment} environment to {Path}.", set.Objects.Count, production ? "Production" : "local", files[0].Path);
        if (set.ContainsSecrets)
        {
            step.Logger.LogWarning("{Path} holds the intermediate CA key in a Secret: keep it out of version control.", output);
        }

        step.Summary.Add("LocalTls manifests", files[0].Path);
    }
}
