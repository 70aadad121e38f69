using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Testing;
using LocalTls.Tests.StepCa;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Host;

/// <summary>
/// Without a step-ca binary but with a container runtime configured, the CA's step-ca is the smallstep image. No
/// container engine runs here, so these tests check the container's spec after the app's own wiring, never a run.
/// </summary>
public class StepCaContainerTests
{
    private static async Task<DistributedApplicationModel> WireAsync(DistributedApplication app, CancellationToken ct)
    {
        // The BeforeStartEvent the app would publish when it starts, with LocalTls' own subscriber; DCP never runs.
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        await app.Services.GetRequiredService<IDistributedApplicationEventing>().PublishAsync(new BeforeStartEvent(app.Services, model), ct);
        return model;
    }

    private static async Task<IExecutionConfigurationResult> ConfigurationAsync(DistributedApplication app, IResource resource, CancellationToken ct) =>
        await ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .WithEnvironmentVariablesConfig()
            .BuildAsync(app.Services.GetRequiredService<DistributedApplicationExecutionContext>(), NullLogger.Instance, ct);

    private static IDistributedApplicationTestingBuilder Builder(string? runtime, LocalTls.Host.StepCaLocator locator)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] = runtime;
        builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] = null;
        builder.Services.AddSingleton(locator);
        return builder;
    }

    [Fact]
    public async Task Without_a_binary_and_with_docker_configured_step_ca_is_the_smallstep_image_with_the_same_files_mounted_on_home_step()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = Builder("docker", new LocalTls.Host.StepCaLocator(_ => null));
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(dir.Combine("caroot")).WithHostPort(19443);
        await using var app = await builder.BuildAsync(ct);
        var model = await WireAsync(app, ct);

        Assert.DoesNotContain(model.Resources, r => r is StepCaServerResource);
        var container = Assert.IsType<StepCaContainerResource>(Assert.Single(model.Resources, r => r.Name == "step-ca-server"));
        Assert.Same(ca.Resource, container.Parent);
        Assert.Contains(container.Annotations.OfType<ResourceRelationshipAnnotation>(), a => a.Type == "Parent" && a.Resource == ca.Resource);

        var image = Assert.Single(container.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("smallstep/step-ca", image.Image);
        Assert.Equal("0.30.0", image.Tag);
        Assert.Equal("step-ca", container.Entrypoint);

        var dataDirectory = Path.Combine(dir.Combine("caroot"), "step-ca", "step-ca");
        var mount = Assert.Single(container.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.BindMount, mount.Type);
        Assert.Equal(dataDirectory, mount.Source);
        Assert.Equal("/home/step", mount.Target);
        Assert.False(mount.IsReadOnly);

        // The DNS responder listens where the container can reach it, on the port step-ca's --resolver names.
        var dns = Assert.IsType<SslipDnsResource>(Assert.Single(model.Resources, r => r.Name == "step-ca-dns"));
        Assert.Equal(IPAddress.Any, dns.EndPoint.Address);
        Assert.NotEqual(0, dns.EndPoint.Port);
        var configuration = await ConfigurationAsync(app, container, ct);
        Assert.Null(configuration.Exception);
        Assert.Equal(["--resolver", $"host.docker.internal:{dns.EndPoint.Port}", "/home/step/config/ca.json"], configuration.Arguments.Select(a => a.Value));
        Assert.Contains(container.Annotations.OfType<WaitAnnotation>(), w => w.Resource == dns);

        var runtimeArgs = new List<object>();
        foreach (var annotation in container.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
        {
            await annotation.Callback(new ContainerRuntimeArgsCallbackContext(runtimeArgs, ct));
        }

        Assert.Equal(["--add-host=host.docker.internal:host-gateway"], runtimeArgs.Select(a => a.ToString()));
        Assert.Equal([new KeyValuePair<string, string>("STEPPATH", "/home/step")], configuration.EnvironmentVariables);

        var endpoint = Assert.Single(container.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal("https", endpoint.Name);
        Assert.Equal("https", endpoint.UriScheme);
        Assert.Equal(19443, endpoint.Port);
        Assert.Equal(9000, endpoint.TargetPort);
        Assert.False(endpoint.IsProxied);

        Assert.Empty(container.Annotations.OfType<HealthCheckAnnotation>()); // the CA carries the /health check
        Assert.Contains(ca.Resource.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "step-ca-health");

        // The files are written just before the container starts, with the paths the container sees.
        Assert.False(File.Exists(Path.Combine(dataDirectory, "config", "ca.json")));
        await app.Services.GetRequiredService<IDistributedApplicationEventing>().PublishAsync(new BeforeResourceStartedEvent(container, app.Services), ct);
        var caJson = await File.ReadAllTextAsync(Path.Combine(dataDirectory, "config", "ca.json"), ct);
        Assert.Contains("\"address\": \":9000\"", caJson);
        Assert.Contains("\"/home/step/certs/root_ca.crt\"", caJson);
        Assert.Contains("\"/home/step/secrets/intermediate_ca_key\"", caJson);
        Assert.Contains("\"/home/step/db\"", caJson);
        Assert.DoesNotContain(dataDirectory, caJson);
        Assert.Contains("\"127.0.0.1\"", caJson);
        Assert.True(File.Exists(Path.Combine(dataDirectory, "secrets", "intermediate_ca_key")));
        Assert.False(File.Exists(Path.Combine(dataDirectory, "secrets", "root_ca_key")));
    }

    [Fact]
    public async Task With_podman_configured_the_resolver_is_podmans_host_name_and_the_image_is_the_cas()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = Builder("podman", new LocalTls.Host.StepCaLocator(_ => null));
        builder.AddStepCa("ca").WithCaStore(dir.Combine("caroot")).WithImage("registry.local/step-ca", "0.29.0");
        await using var app = await builder.BuildAsync(ct);
        var model = await WireAsync(app, ct);

        var container = Assert.IsType<StepCaContainerResource>(Assert.Single(model.Resources, r => r.Name == "ca-server"));
        var image = Assert.Single(container.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("registry.local/step-ca:0.29.0", image.Registry is null ? $"{image.Image}:{image.Tag}" : $"{image.Registry}/{image.Image}:{image.Tag}");
        var dns = Assert.IsType<SslipDnsResource>(Assert.Single(model.Resources, r => r.Name == "ca-dns"));
        Assert.Equal(["--resolver", $"host.containers.internal:{dns.EndPoint.Port}", "/home/step/config/ca.json"], (await ConfigurationAsync(app, container, ct)).Arguments.Select(a => a.Value));
        Assert.Empty(container.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>());
        var endpoint = Assert.Single(container.Annotations.OfType<EndpointAnnotation>());
        Assert.NotEqual(0, endpoint.Port ?? 0);
    }

    [Fact]
    public async Task A_step_ca_binary_wins_over_a_configured_container_runtime()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var binary = StepCaBinary.Path;
        var builder = Builder("docker", new LocalTls.Host.StepCaLocator(n => n == "LOCALTLS_STEP_CA" ? binary : null));
        builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot"));
        await using var app = await builder.BuildAsync(ct);
        var model = await WireAsync(app, ct);

        Assert.DoesNotContain(model.Resources, r => r is StepCaContainerResource);
        var server = Assert.IsType<StepCaServerResource>(Assert.Single(model.Resources, r => r.Name == "step-ca-server"));
        Assert.Equal(binary, server.Command);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<SslipDnsResource>(Assert.Single(model.Resources, r => r.Name == "step-ca-dns")).EndPoint.Address);
    }
}
