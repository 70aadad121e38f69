using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>Loads the CA material of a <see cref="StepCaResource"/> from its CA store: imported, existing or created once.</summary>
internal static class StepCaMaterial
{
    public static CaMaterial Load(StepCaResource ca, TimeProvider? time = null)
    {
        var store = new CaStore(ca.CaStoreDirectory);
        if (ca.Import is { } import)
        {
            var imported = CaStore.Read(
                File.ReadAllText(import.RootCertificatePath),
                import.RootKeyPath is null ? null : File.ReadAllText(import.RootKeyPath),
                import.IntermediateCertificatePath is null ? null : File.ReadAllText(import.IntermediateCertificatePath),
                import.IntermediateKeyPath is null ? null : File.ReadAllText(import.IntermediateKeyPath),
                password: null, time, ca.CaOptions);
            if (!store.Exists || store.Load(time).RootFingerprint != imported.RootFingerprint)
            {
                store.Save(imported);
            }

            return store.Load(time);
        }

        return store.LoadOrCreate(ca.CaOptions, time: time);
    }
}
