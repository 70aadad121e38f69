using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LocalTls;

/// <summary>
/// The one place LocalTls hooks into an app: its services, the publish step, and one <see cref="BeforeStartEvent"/>
/// subscriber that wires each target once the model is complete, so builder calls can come in any order and
/// placement (<c>InCluster</c>) is only data until then.
/// </summary>
internal static class LocalTlsWiring
{
    /// <summary>Registers everything once per app; every <c>Add*</c> of LocalTls calls it.</summary>
    public static void Ensure(IDistributedApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(Marker)))
        {
            return;
        }

        builder.Services.AddSingleton<Marker>();
        builder.Services.TryAddSingleton(_ => new StepCaLocator());
        builder.Services.TryAddSingleton<HostTarget>();
        builder.Services.TryAddSingleton<CertificateHostRunner>();
        builder.Services.TryAddSingleton<Cluster.ClusterTarget>();
        builder.Services.AddHostedService<Cluster.ClusterCleanup>();
        LocalTlsPublishing.Register(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            if (builder.ExecutionContext.IsRunMode)
            {
                e.Services.GetRequiredService<HostTarget>().Wire(builder, e.Model);
                ClusterPlacement.ShowTargets(builder, e.Model);
                e.Services.GetRequiredService<Cluster.ClusterTarget>().Wire(builder, e.Model);
                Diagnostics.DiagnoseCommand.Wire(builder, e.Model, e.Services.GetRequiredService<Cluster.ClusterTarget>(), e.Services.GetRequiredService<ResourceLoggerService>());
                foreach (var ca in e.Model.Resources.OfType<StepCaResource>())
                {
                    Trust.TrustRootCommand.Wire(builder, ca);
                }
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>The health check of a CA; registered with the app's services before it is built, used only by the target that runs it.</summary>
    public static void AddHealthCheck(IDistributedApplicationBuilder builder, StepCaResource ca) =>
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            StepCaHealthCheck.Key(ca), services => new StepCaHealthCheck(services.GetRequiredService<HostTarget>(), ca), failureStatus: null, tags: null));

    /// <summary>The <c>/readyz</c> check of a cluster, registered before the app is built.</summary>
    public static void AddHealthCheck(IDistributedApplicationBuilder builder, KubeconfigClusterResource cluster) =>
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            Cluster.ClusterHealthCheck.Key(cluster), services => new Cluster.ClusterHealthCheck(services.GetRequiredService<Cluster.ClusterTarget>(), cluster), failureStatus: null, tags: null));

    private sealed class Marker;
}

/// <summary>Until the cluster target runs, an in-cluster resource shows where it would go.</summary>
internal static class ClusterPlacement
{
    public static void ShowTargets(IDistributedApplicationBuilder builder, DistributedApplicationModel model)
    {
        foreach (var ca in model.Resources.OfType<StepCaResource>().Where(c => c.Cluster is not null))
        {
            builder.CreateResourceBuilder(ca).WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "StepCa",
                State = KnownResourceStates.NotStarted,
                Properties =
                [
                    SnapshotProperties.Property(LocalTlsProperties.Image, $"{ca.Image}:{ca.ImageTag}"),
                    SnapshotProperties.Property(LocalTlsProperties.Target, $"cluster {ca.Cluster!.Name}"),
                    SnapshotProperties.Property(LocalTlsProperties.Namespace, ca.Namespace),
                ],
            });
        }

        foreach (var certificate in model.Resources.OfType<CertificateResource>().Where(c => c.HostDirectory is null))
        {
            builder.CreateResourceBuilder(certificate).WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Certificate",
                State = KnownResourceStates.NotStarted,
                Properties = [SnapshotProperties.Property(LocalTlsProperties.SecretName, certificate.SecretName), SnapshotProperties.Property(LocalTlsProperties.Namespace, certificate.Namespace)],
            });
        }
    }
}
