using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LocalTls.StepCa;
using Microsoft.Extensions.Configuration;

namespace LocalTls.Host;

/// <summary>
/// The fallback when a CA on this machine finds no step-ca binary: the smallstep image as a child container, with
/// the same files as the executable, rendered for the image's layout (<c>/home/step</c>) and bind-mounted there.
/// </summary>
internal static class StepCaContainer
{
    /// <summary>The configuration keys Aspire reads its container runtime from (<c>docker</c>, <c>podman</c>).</summary>
    public static readonly string[] RuntimeKeys = ["ASPIRE_CONTAINER_RUNTIME", "DOTNET_ASPIRE_CONTAINER_RUNTIME"];

    /// <summary>
    /// The container runtime the user chose for Aspire, or <see langword="null"/>. Only an explicit choice counts:
    /// a <c>docker</c> client on PATH often has no engine behind it, and "step-ca was not found" is the clearer failure.
    /// </summary>
    public static string? Runtime(IConfiguration configuration) =>
        RuntimeKeys.Select(k => configuration[k]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim().ToLowerInvariant();

    /// <summary>
    /// How the container reaches this machine: Aspire's <c>AppHost:ContainerHostname</c> when set, else the runtime's
    /// own name for the host (<c>host.containers.internal</c> for podman, <c>host.docker.internal</c> otherwise).
    /// </summary>
    public static string HostName(IConfiguration configuration, string runtime) =>
        configuration["AppHost:ContainerHostname"] is { Length: > 0 } configured ? configured
        : runtime == "podman" ? "host.containers.internal"
        : "host.docker.internal";

    /// <summary>
    /// Adds <c>{ca}-server</c> as the smallstep image, listening on the CA's port inside and on <see cref="HostCa.Port"/>
    /// on this machine, resolving ACME challenge names through the DNS responder on <paramref name="dnsPort"/> of this machine.
    /// </summary>
    public static StepCaContainerResource Add(
        IDistributedApplicationBuilder builder,
        DistributedApplicationModel model,
        HostCa host,
        string runtime,
        IResourceBuilder<SslipDnsResource> dns,
        int dnsPort)
    {
        var ca = host.Ca;
        var container = new StepCaContainerResource($"{ca.Name}-server", ca);
        model.Resources.Add(container);
        var layout = StepCaLayout.Container;
        var resolverHost = HostName(builder.Configuration, runtime);
        var resourceBuilder = builder.CreateResourceBuilder(container)
            .ExcludeFromManifest()
            .WithParentRelationship(ca)
            .WithIconName("ShieldKeyhole")
            .WithImage(ca.Image, ca.ImageTag)
            // step-ca itself, not the image's entrypoint script (which would run 'step ca init' on an empty folder).
            .WithEntrypoint("step-ca")
            .WithEnvironment("STEPPATH", StepCaLayout.ContainerRoot)
            .WithBindMount(ca.HostDataDirectory, StepCaLayout.ContainerRoot)
            // Not proxied: the CA's port on this machine is published straight to step-ca's port in the container.
            .WithHttpsEndpoint(port: host.Port, targetPort: ca.Port, name: "https", isProxied: false)
            .WaitFor(dns)
            .WithArgs([.. StepCaCommandLine.Arguments(layout, passwordFile: false, $"{resolverHost}:{dnsPort}")])
            // Written just before each start, like the executable's, but with the paths the container sees.
            .OnBeforeResourceStarted((r, e, ct) =>
            {
                var files = StepCaFiles.Render(layout, Options(host), host.Material!.WithoutRootKey());
                StepCaFiles.Write(files, ca.HostDataDirectory);
                return Task.CompletedTask;
            });
        if (runtime == "docker" && resolverHost == "host.docker.internal")
        {
            // Docker Desktop knows this name; a Linux engine only with this mapping to its bridge gateway.
            resourceBuilder.WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway");
        }

        return container;
    }

    /// <summary>The options of the container's <c>ca.json</c>: listening on the CA's port inside, answering to the loopback names clients use outside.</summary>
    public static StepCaOptions Options(HostCa host)
    {
        var options = StepCaKubernetesRenderer.OptionsFor(host.Ca);
        options.Address = $":{host.Ca.Port}";
        options.DnsNames = ["127.0.0.1", "localhost", .. host.Ca.ExtraDnsNames.Where(n => n is not "127.0.0.1" and not "localhost")];
        return options;
    }
}
