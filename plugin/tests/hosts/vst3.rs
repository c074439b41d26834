//! What a VST3 host reads before it processes anything: the factory describes the plugin with
//! its stable class id and categories, and a component instantiates with the documented buses.
//! It exports three parameters and maps no MIDI controller. (Processing and state through VST3 are in `formats`.)

use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::{
    BusInfo, IComponentTrait, IEditController, IEditControllerTrait, IMidiMapping,
    IMidiMappingTrait,
};
use vst3::Steinberg::{
    kResultFalse, kResultOk, IPluginBaseTrait, IPluginFactoryTrait, PFactoryInfo,
};

use crate::host::beside_others;
use crate::host::vst3::{text, Module};

#[test]
fn vst3_factory_and_component_describe_the_plugin() {
    let _share = beside_others();
    let module = Module::load();
    // SAFETY: VST3 calls on the module's factory and component, in the SDK's order; the info
    // structures are plain data the plugin fills in.
    unsafe {
        let factory = &module.factory;
        let mut info: PFactoryInfo = std::mem::zeroed();
        assert_eq!(factory.getFactoryInfo(&mut info), kResultOk);
        assert_eq!(text(&info.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&info.url), env!("CARGO_PKG_HOMEPAGE"));

        assert_eq!(factory.countClasses(), 1);
        let class = module.class();
        let cid: [u8; 16] = std::mem::transmute(class.cid);
        assert_eq!(&cid, b"RtcbListenRelay1", "the class id never changes");
        assert_eq!(text(&class.category), "Audio Module Class");
        assert_eq!(text(&class.name), "rtcb");
        assert_eq!(text(&class.subCategories), "Fx|Tools");
        assert_eq!(text(&class.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&class.version), env!("CARGO_PKG_VERSION"));

        let component = module.component();
        // Stereo in and out (the default layout), one event bus each way.
        let bus = |media, direction| {
            let mut info: BusInfo = std::mem::zeroed();
            assert_eq!(
                component.getBusInfo(media, direction, 0, &mut info),
                kResultOk
            );
            info.channelCount
        };
        assert_eq!(component.getBusCount(kAudio as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kAudio as i32, kOutput as i32), 1);
        assert_eq!(bus(kAudio as i32, kInput as i32), 2);
        assert_eq!(bus(kAudio as i32, kOutput as i32), 2);
        assert_eq!(component.getBusCount(kEvent as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kEvent as i32, kOutput as i32), 1);
        // No MIDI mapping: its 2,080 hidden parameters would come back as CCs nobody played
        // when a host restores a project (see `Vst3Midi` in the plugin). Three parameters only.
        let mapping = component
            .cast::<IMidiMapping>()
            .expect("nice-plug answers it");
        for (channel, control) in [(0, 0), (0, 7), (3, 64), (15, 129)] {
            let mut id = 0;
            let found = mapping.getMidiControllerAssignment(0, channel, control, &mut id);
            assert_eq!(
                found, kResultFalse,
                "channel {channel}, controller {control}"
            );
        }
        let controller = component.cast::<IEditController>().unwrap();
        assert_eq!(controller.getParameterCount(), 3);
        assert_eq!(component.terminate(), kResultOk);
    }
    module.unload();
}
